import { performance } from 'node:perf_hooks';
import type SQLite from 'better-sqlite3';
import type { ActiveKey, ActiveKeys } from '../active-keys.ts';
import type { QueryObserver } from '../data-store.ts';
import type { Db } from '../db.ts';
import { activeKeyQuery } from '../tenants.repository.ts';

/**
 * The key lookup of every request, as one statement prepared on the connection and run by
 * it directly: through Kysely (its connection mutex, plugins and result mapping) it was
 * most of the lookup's cost, and 5 % of a trivial request's CPU (bench/RESULTS.md, issue 19).
 * Nothing is cached, so a revocation by any process answers 401 at the next request. A
 * transaction another request holds open on the connection does not delay it: it reads
 * api_keys, which no transaction of the server changes.
 */
export function preparedActiveKeys(handle: SQLite.Database, db: Db, onQuery?: QueryObserver): ActiveKeys {
  const compiled = activeKeyQuery(db, '').compile();
  if (compiled.parameters.length !== 1) throw new Error('the API key lookup takes one parameter, the hash');
  // Prepared at the first request: the store opens before the migrations make the table.
  let statement: SQLite.Statement<[string], ActiveKey> | undefined;
  const get = (keyHash: string) => (statement ??= handle.prepare<[string], ActiveKey>(compiled.sql)).get(keyHash);
  const find = onQuery
    ? (keyHash: string) => {
        const started = performance.now();
        const key = get(keyHash);
        onQuery(compiled.sql, performance.now() - started);
        return key;
      }
    : get;
  return { find: async (keyHash) => find(keyHash), close: async () => {} };
}
