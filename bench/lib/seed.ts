import { closeSync, copyFileSync, existsSync, fsyncSync, openSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createApiKey } from '../../src/domain/api-keys.ts';
import { BENCH_KEY } from './util.ts';

export { openLikeProduct } from './sqlite.ts';

// Benchmark data is written with a few recursive SQL statements (like the large-delete
// tests do): building a million rows through the API would take far longer than the run.

/** Id families: a UUID whose first group names the table, the last the row number. */
export const KIND = { chat: 1, thread: 2, message: 3, flow: 0xf } as const;

export function benchId(kind: number, i: number): string {
  return `${kind.toString(16).padStart(8, '0')}-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

/** The same id in SQL, from an integer expression. */
export const sqlId = (kind: number, expr: string) => `printf('%08x-0000-4000-8000-%012d', ${kind}, ${expr})`;

/** An ISO timestamp `expr` seconds (may be fractional) after 2025-01-01T00:00:00Z, in SQL. */
export const sqlTime = (secondsExpr: string) =>
  `strftime('%Y-%m-%dT%H:%M:%fZ', 1735689600 + (${secondsExpr}), 'unixepoch')`;

export function isoAt(seconds: number): string {
  return new Date((1735689600 + seconds) * 1000).toISOString();
}

/** About 120 bytes of text per message (real messages are longer; short ones flatter deletes). */
export const sqlContent = (expr: string) =>
  `'bench message ' || ${expr} || ': the quick brown fox jumps over the lazy dog, then asks the support bot about its invoice.'`;

export interface BenchDb {
  path: string;
  tenantId: string;
  flowId: string;
}

/**
 * A database with our schema (created by running the product's migrations through
 * createApp on this file), the bench tenant with BENCH_KEY, and one flow.
 */
export async function createBenchDatabase(path: string): Promise<BenchDb> {
  const app = await createApp({ ...loadConfig({}), databaseUrl: path }, { purgeTimer: false });
  const now = new Date().toISOString();
  const { tenantId } = await createApiKey(app.deps.store.db, { tenant: 'bench', name: 'bench-key', key: BENCH_KEY }, now);
  await app.close();
  const flowId = benchId(KIND.flow, 1);
  const db = openForLoad(path);
  db.prepare(`insert into flows (id, tenant_id, name, type, created_at) values (?, ?, 'Bench flow', 'CHATFLOW', ?)`).run(
    flowId,
    tenantId,
    '2025-01-01T00:00:00.000Z',
  );
  db.close();
  return { path, tenantId, flowId };
}

/** A connection for bulk loading (the rows are consistent by construction: no FK checks). */
export function openForLoad(path: string): SQLite.Database {
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('foreign_keys = OFF');
  db.pragma('cache_size = -262144');
  return db;
}

/** Folds the WAL into the file and closes, so a plain file copy is a complete database. */
export function finishLoad(db: SQLite.Database): void {
  db.pragma('wal_checkpoint(TRUNCATE)');
  const file = db.name;
  db.close();
  syncFile(file);
}

/**
 * Puts a file's pages on disk now: otherwise the first fsync of a measured run (every
 * checkpoint does one) would write out hundreds of MB the setup left dirty.
 */
export function syncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The baseline's and our own copy of a loaded database, side by side in `dir`. */
export function copiesFor(pristine: string, dir: string): { rawDb: string; oursDb: string } {
  const copies = { rawDb: join(dir, 'raw.db'), oursDb: join(dir, 'ours.db') };
  copyDatabase(pristine, copies.rawDb);
  copyDatabase(pristine, copies.oursDb);
  return copies;
}

export function copyDatabase(from: string, to: string): void {
  copyFileSync(from, to);
  for (const suffix of ['-wal', '-shm']) if (existsSync(from + suffix)) copyFileSync(from + suffix, to + suffix);
  syncFile(to);
}

/**
 * Chats numbered [first, first + count), each with one thread of `perChat` messages
 * (alternating USER / ASSISTANT, session `session-<chat number>`). Message numbers continue
 * from `firstMessage`; `thumbsUpEvery` rates every n-th message (an ASSISTANT one when n is even).
 */
export function insertChats(
  db: SQLite.Database,
  b: BenchDb,
  o: { first: number; count: number; perChat: number; firstMessage: number; thumbsUpEvery?: number },
): void {
  for (const v of [o.first, o.count, o.perChat, o.firstMessage]) if (!Number.isSafeInteger(v)) throw new Error(`not an integer: ${v}`);
  // Integers are written into the SQL (better-sqlite3 binds JS numbers as REAL).
  const { first, perChat, firstMessage } = o;
  const last = first + o.count - 1;
  const tx = db.transaction(() => {
    db.prepare(
      `with recursive n(i) as (select ${first} union all select i + 1 from n where i < ${last})
       insert into chats (id, tenant_id, flow_id, title, version, created_at, updated_at, deleted_at)
       select ${sqlId(KIND.chat, 'i')}, ?, ?, 'Bench chat ' || i, 1, ${sqlTime('i')}, ${sqlTime('i')}, null from n`,
    ).run(b.tenantId, b.flowId);
    db.prepare(
      `with recursive n(i) as (select ${first} union all select i + 1 from n where i < ${last})
       insert into threads (id, tenant_id, chat_id, flow_id, title, metadata, version, created_at, updated_at, deleted_at, restore_until, deleted_by)
       select ${sqlId(KIND.thread, 'i')}, ?, ${sqlId(KIND.chat, 'i')}, ?, 'Thread', null, 1, ${sqlTime('i')}, ${sqlTime('i')}, null, null, null from n`,
    ).run(b.tenantId, b.flowId);
    if (perChat > 0) {
      // j = 0 .. count*perChat-1 belongs to chat first + j / perChat
      const chat = `(${first} + j / ${perChat})`;
      db.prepare(
        `with recursive n(j) as (select 0 union all select j + 1 from n where j < ${o.count * perChat - 1})
         insert into messages (id, tenant_id, flow_id, chat_id, thread_id, role, content, session_id, memory_type, chat_type, feedback, created_at)
         select ${sqlId(KIND.message, `${firstMessage} + j`)}, ?, ?, ${sqlId(KIND.chat, chat)}, ${sqlId(KIND.thread, chat)},
                case j % 2 when 0 then 'USER' else 'ASSISTANT' end, ${sqlContent('j')}, 'session-' || ${chat}, null, 'INTERNAL',
                ${o.thumbsUpEvery ? `case when j % ${o.thumbsUpEvery} = 1 then 'THUMBS_UP' end` : 'null'},
                ${sqlTime(`${chat} + (j % ${perChat}) / 1000.0`)}
         from n`,
      ).run(b.tenantId, b.flowId);
    }
  });
  tx();
}
