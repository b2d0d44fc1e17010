// A REDIS erasure target's key pattern: which keys of the target an erasure names.
//
// Values go into keys verbatim, unescaped: ids are UUIDs, sessionIds are client strings,
// Redis keys are binary safe, and DEL of a literal key never globs, so no value can name a
// key other than its own. A value is never scanned for placeholders (the pattern is split
// once, then filled), so a sessionId holding "{chatId}" stays that text.

import type { ErasedRow } from './copy-erasure.ts';

export const KEY_PLACEHOLDERS = ['sessionId', 'chatId', 'threadId', 'flowId'] as const;
export type KeyPlaceholder = (typeof KEY_PLACEHOLDERS)[number];

export const KEY_PATTERN_MAX_LENGTH = 512;

const LISTED = KEY_PLACEHOLDERS.map((name) => `{${name}}`).join(', ');
// Long enough to recognise a typo, short enough not to echo a pasted blob back.
const ECHO_LIMIT = 40;

type Segment = { text: string } | { placeholder: KeyPlaceholder };

interface Parsed {
  segments: Segment[];
  problems: string[];
}

function isPlaceholder(name: string): name is KeyPlaceholder {
  return (KEY_PLACEHOLDERS as readonly string[]).includes(name);
}

function parse(pattern: string): Parsed {
  if (pattern.trim() === '') return { segments: [], problems: ['must not be empty'] };
  const problems = new Set<string>();
  if (pattern.length > KEY_PATTERN_MAX_LENGTH) {
    problems.add(`must be at most ${KEY_PATTERN_MAX_LENGTH} characters`);
  }
  const segments: Segment[] = [];
  let end = 0;
  for (const match of pattern.matchAll(/\{([^{}]*)\}|[{}]/g)) {
    segments.push({ text: pattern.slice(end, match.index) });
    end = match.index + match[0].length;
    const name = match[1];
    if (name === undefined) {
      problems.add(`has a stray "${match[0]}": braces only enclose a placeholder (${LISTED})`);
    } else if (isPlaceholder(name)) {
      segments.push({ placeholder: name });
    } else {
      const shown = name.length > ECHO_LIMIT ? `${name.slice(0, ECHO_LIMIT)}…` : name;
      problems.add(`has an unknown placeholder {${shown}}: the placeholders are ${LISTED}`);
    }
  }
  segments.push({ text: pattern.slice(end) });
  if (!segments.some((segment) => 'placeholder' in segment)) {
    problems.add(
      `must contain a placeholder (${LISTED}): without one, every erasure would delete the same key`,
    );
  }
  return { segments, problems: [...problems] };
}

/** What is wrong with `pattern`, as messages for a ValidationError; empty when it is usable. */
export function keyPatternProblems(pattern: string): string[] {
  return parse(pattern).problems;
}

/**
 * The keys `pattern` names for the erased rows of flow `flowId`, each once, in first-seen
 * order. A row with no value (null) for a placeholder the pattern uses names no key.
 */
export function keysNamedBy(pattern: string, flowId: string, rows: readonly ErasedRow[]): string[] {
  const { segments, problems } = parse(pattern);
  // Stored patterns were checked when saved; one that is not usable must erase nothing
  // rather than a key it never meant.
  if (problems.length > 0) throw new Error(`Key pattern ${problems.join('; ')}`);
  const keys = new Set<string>();
  for (const row of rows) {
    const key = fill(segments, { ...row, flowId });
    if (key !== null) keys.add(key);
  }
  return [...keys];
}

function fill(segments: Segment[], values: Record<KeyPlaceholder, string | null>): string | null {
  let key = '';
  for (const segment of segments) {
    const value = 'text' in segment ? segment.text : values[segment.placeholder];
    if (value === null) return null;
    key += value;
  }
  return key;
}
