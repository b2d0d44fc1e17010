import { type Compilable, CompiledQuery } from 'kysely';
import type { Db } from './db.ts';

/** The values a statement takes: flat, or one level of objects (an audit row). */
type Params = Record<string, unknown>;

const MARK = '\u0000param:';

const isGroup = (value: unknown): value is Params => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Every value by its path ("audit.id"), groups opened. */
function leaves(params: Params, prefix = ''): Array<[string, unknown]> {
  return Object.entries(params).flatMap(([name, value]) =>
    isGroup(value) ? leaves(value, `${prefix}${name}.`) : [[`${prefix}${name}`, value] as [string, unknown]],
  );
}

/**
 * Which values are null or undefined: a builder may branch on that, never on the rest.
 * Runs on every call, so it builds one string and nothing else.
 */
function shapeOf(params: Params): string {
  let shape = '';
  for (const name in params) {
    const value = params[name];
    shape += isGroup(value) ? `${name}{${shapeOf(value)}}` : `${name}${value == null ? '-' : '+'}`;
  }
  return shape;
}

/** The same params with every present value replaced by a marker naming its path. */
function markersOf(params: Params, prefix = ''): Params {
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => [
      name,
      isGroup(value) ? markersOf(value, `${prefix}${name}.`) : value == null ? value : `${MARK}${prefix}${name}`,
    ]),
  );
}

function valueAt(params: Params, path: readonly string[]): unknown {
  let at: unknown = params;
  for (const name of path) at = (at as Params)[name];
  return at;
}

interface Template {
  sql: string;
  /** For each parameter: the path of the value that goes there, or a constant of the shape. */
  slots: Array<{ path: readonly string[] } | { constant: unknown }>;
}

function templateOf(built: Compilable<unknown>, params: Params): Template {
  const compiled = built.compile();
  if (compiled.sql.includes(MARK)) throw new Error('compiledOnce: a value was written into the SQL text, not passed as a parameter');
  const present = new Set(leaves(params).flatMap(([path, value]) => (value == null ? [] : [path])));
  const passed = new Set<string>();
  const slots = compiled.parameters.map((p): Template['slots'][number] => {
    if (typeof p !== 'string' || !p.startsWith(MARK)) return { constant: p };
    const path = p.slice(MARK.length);
    if (!present.has(path)) throw new Error(`compiledOnce: the builder changed a value (${JSON.stringify(path)}) instead of passing it`);
    passed.add(path);
    return { path: path.split('.') };
  });
  const missing = [...present].filter((path) => !passed.has(path));
  if (missing.length > 0) throw new Error(`compiledOnce: the builder dropped ${missing.join(', ')} instead of passing it as a parameter`);
  return { sql: compiled.sql, slots };
}

/**
 * Kysely builds and compiles a query on every call; for a large statement that is most of
 * its cost in our process (deleteChat's one statement on PostgreSQL: 17 % of the server's
 * CPU, bench/RESULTS.md). This runs `build` once per shape (which values are null) with
 * markers in place of the values, keeps the SQL and where each value goes, and afterwards
 * only puts the values in. `build` must pass every value as a parameter, unchanged, and
 * may branch only on whether a value is null; both are checked when it first compiles.
 */
export function compiledOnce<P extends Params, R>(build: (db: Db, params: P) => Compilable<R>) {
  // By the engine's adapter as well as the shape: SQL text is the dialect's (`?` or `$1`),
  // and one process may hold databases of both engines.
  const byAdapter = new WeakMap<object, Map<string, Template>>();
  return async (db: Db, params: P): Promise<R[]> => {
    const shape = shapeOf(params);
    const { adapter } = db.getExecutor();
    let templates = byAdapter.get(adapter);
    if (!templates) byAdapter.set(adapter, (templates = new Map()));
    let template = templates.get(shape);
    if (!template) templates.set(shape, (template = templateOf(build(db, markersOf(params) as P), params)));
    const values = template.slots.map((slot) => ('path' in slot ? valueAt(params, slot.path) : slot.constant));
    const result = await db.executeQuery<R>(CompiledQuery.raw(template.sql, values));
    return result.rows;
  };
}
