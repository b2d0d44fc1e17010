import type { Checker } from '../../domain/validation.ts';

/** A strict boolean query value: true/false (or 1/0); anything else is an error, never a guess. */
export function flag(check: Checker, name: string, raw: string | null, fallback = false): boolean {
  if (raw === null) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  check.fail([name], 'must be true or false');
  return fallback;
}

/**
 * A list query value given as repeated parameters (?x=A&x=B), comma-separated (?x=A,B)
 * or as a JSON array (?x=["A","B"]), as Flowise clients send it. Unknown members are errors.
 * Problems go to `check` under `path`.
 */
export function list<T extends string>(check: Checker, path: string[], values: string[], allowed: readonly T[]): T[] | undefined {
  if (values.length === 0) return undefined;
  const items: string[] = [];
  for (const value of values) {
    if (value.trim().startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string')) {
          items.push(...parsed);
          continue;
        }
      } catch {}
      check.fail(path, 'must be a JSON array of strings');
      return undefined;
    }
    items.push(...value.split(',').map((v) => v.trim()).filter((v) => v !== ''));
  }
  const wrong = items.filter((v) => !allowed.includes(v as T));
  if (wrong.length > 0) {
    check.fail(path, `unknown value ${wrong.map((w) => JSON.stringify(w)).join(', ')}; allowed: ${allowed.join(', ')}`);
    return undefined;
  }
  return items as T[];
}
