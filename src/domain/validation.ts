import { type FieldError, ValidationError } from './errors.ts';

export const LIMITS = {
  /** Message content and prompts, in characters. */
  contentLength: 100_000,
  /** Names, titles, session ids and memory types. */
  shortText: 500,
  /** Thread metadata, serialised as JSON. */
  metadataBytes: 16_384,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// ISO-8601 date, or date and time with an optional fraction and a zone (Z or ±hh:mm).
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** True for a well-formed id (every id here is a UUID). */
export function isId(value: string): boolean {
  return UUID.test(value);
}

/**
 * Collects every problem of one operation's input before anything runs, so a client
 * sees all of them at once and nothing is changed.
 */
export class Checker {
  private readonly errors: FieldError[] = [];

  fail(path: string[], message: string): void {
    this.errors.push({ path, message });
  }

  id(path: string[], value: string): string {
    if (!isId(value)) this.fail(path, value === '' ? 'must not be empty' : 'must be a UUID');
    return value.toLowerCase();
  }

  text(path: string[], value: string, max: number = LIMITS.shortText): string {
    if (value.trim() === '') this.fail(path, 'must not be empty');
    // PostgreSQL text cannot hold U+0000, so neither engine accepts it.
    else if (value.includes('\u0000')) this.fail(path, 'must not contain NUL characters');
    else if (value.length > max) this.fail(path, `must be at most ${max} characters`);
    return value;
  }

  optionalText(path: string[], value: string | null | undefined, max: number = LIMITS.shortText) {
    return value === null || value === undefined ? undefined : this.text(path, value, max);
  }

  /**
   * Parses an ISO-8601 date strictly (no silent match-all on garbage) into the stored
   * form. A bare date means the start of that day (UTC).
   */
  date(path: string[], value: string | null | undefined): string | undefined {
    return this.isoDate(path, value)?.date.toISOString();
  }

  /** As date(), and tells a bare date, for a rule that gives one a meaning of its own. */
  isoDate(path: string[], value: string | null | undefined): ParsedDate | undefined {
    if (value === null || value === undefined) return undefined;
    const parsed = parseIsoDate(value);
    if (parsed === undefined) this.fail(path, 'must be an ISO-8601 date or date-time, e.g. 2024-01-31T23:59:59Z');
    return parsed;
  }

  done(): void {
    if (this.errors.length > 0) throw new ValidationError(this.errors);
  }
}

/** A parsed ISO-8601 value; `dateOnly` when it had no time (`date` is then the day's start). */
export interface ParsedDate {
  date: Date;
  dateOnly: boolean;
}

function parseIsoDate(value: string): ParsedDate | undefined {
  const m = ISO_DATE.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h = 0, mi = 0, sec = 0] = m.slice(1, 7).map((part) => Number(part ?? 0));
  // Date() would roll 2024-02-30 over into March; a real calendar date must survive the trip.
  const day = new Date(Date.UTC(y!, mo! - 1, d!));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo! - 1 || day.getUTCDate() !== d) return undefined;
  if (h > 23 || mi > 59 || sec > 59) return undefined;
  const dateOnly = m[4] === undefined;
  const date = new Date(dateOnly ? `${value}T00:00:00.000Z` : value);
  return Number.isNaN(date.getTime()) ? undefined : { date, dateOnly };
}
