import type { PostgresPool } from 'kysely';
import type pg from 'pg';

/**
 * PostgreSQL parses and plans an unnamed statement anew each time; a named (prepared) one
 * is parsed once per connection and its plan can be reused: postgres CPU per deleteChat
 * fell by half (bench/RESULTS.md). Each distinct SQL text gets a name; a connection
 * prepares up to `perConnection` of them (the first it meets, which are the hot ones) and
 * runs the rest unnamed, so a backend's memory stays bounded, and so does the name table.
 */
export function withPreparedStatements(pool: pg.Pool, perConnection = 200, maxNames = 5000): PostgresPool {
  const names = new Map<string, string>();
  const prepared = new WeakMap<pg.PoolClient, Set<string>>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name && names.size < maxNames) names.set(text, (name = `cg${names.size}`));
    return name;
  };
  return {
    async connect() {
      const client = await pool.connect();
      let mine = prepared.get(client);
      if (!mine) prepared.set(client, (mine = new Set()));
      const own = mine;
      return new Proxy(client, {
        get(target, prop, receiver) {
          if (prop !== 'query') return Reflect.get(target, prop, receiver);
          return (text: unknown, values?: unknown[]) => {
            if (typeof text !== 'string') return target.query(text as never, values as never);
            const name = nameOf(text);
            if (name === undefined) return target.query(text, values);
            if (!own.has(name)) {
              if (own.size >= perConnection) return target.query(text, values);
              own.add(name);
            }
            return target.query({ name, text, values });
          };
        },
      });
    },
    end: () => pool.end(),
  };
}
