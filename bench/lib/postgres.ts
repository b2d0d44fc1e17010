import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createApiKey } from '../../src/domain/api-keys.ts';
import { KIND, benchId } from './seed.ts';
import { BENCH_KEY } from './util.ts';

// Bench data on PostgreSQL: a fresh schema per side of a comparison (selected by `options=-c
// search_path`, as test/replicas/processes.ts does), filled by the same bulk SQL.

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** benchId(kind, i) in SQL, from an integer expression (checked by `checkIds`). */
export const pgId = (kind: number, expr: string) => `lpad(to_hex(${kind}), 8, '0') || '-0000-4000-8000-' || lpad((${expr})::text, 12, '0')`;

/**
 * Fresh schemas A and B named after `prefix`, dropped at exit (or by `cleanUp`); undefined,
 * with a line saying why, when PostgreSQL cannot be reached.
 */
export async function benchSchemas(prefix: string): Promise<{ urls: { A: string; B: string }; cleanUp(): void } | undefined> {
  const admin = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`SKIPPED PostgreSQL: not reachable at ${PG_URL} (${(error as Error).message}); start it or set TEST_DATABASE_URL`);
    return undefined;
  }
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const schemas = { A: `${name}_a`, B: `${name}_b` };
  for (const s of Object.values(schemas)) await admin.query(`create schema ${s}`);
  await admin.end();
  let dropped = false;
  const cleanUp = () => {
    if (dropped) return;
    dropped = true;
    try {
      execFileSync('psql', [PG_URL, '-qc', `drop schema if exists ${schemas.A}, ${schemas.B} cascade`], { stdio: 'ignore' });
    } catch {
      console.error(`could not drop schemas ${schemas.A}, ${schemas.B}: drop them by hand`);
    }
  };
  process.once('exit', cleanUp);
  const url = (schema: string) => {
    const u = new URL(PG_URL);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return u.toString();
  };
  return { urls: { A: url(schemas.A), B: url(schemas.B) }, cleanUp };
}

/** Our schema on `url` (the product's migrations) and the bench tenant with BENCH_KEY; its id. */
export async function migrateWithBenchKey(url: string): Promise<string> {
  const app = await createApp({ ...loadConfig({}), databaseUrl: url }, { purgeTimer: false });
  try {
    return (await createApiKey(app.deps.store.db, { tenant: 'bench', name: 'bench-key', key: BENCH_KEY }, new Date().toISOString())).tenantId;
  } finally {
    await app.close();
  }
}

/**
 * Chats 1..count of `flowId`, each with one thread of `perChat` messages (alternating USER /
 * ASSISTANT, session `session-<chat number>`), as bench/lib/seed.ts's insertChats on SQLite.
 */
export async function insertPgChats(client: pg.Client, o: { tenantId: string; flowId: string; count: number; perChat: number }): Promise<void> {
  const at = `'2025-01-01T00:00:00.000Z'`;
  await client.query(
    `insert into chats (id, tenant_id, flow_id, title, version, created_at, updated_at)
     select ${pgId(KIND.chat, 'i')}, $1, $2, 'Bench chat ' || i, 1, ${at}, ${at} from generate_series(1, ${o.count}) i`,
    [o.tenantId, o.flowId],
  );
  await client.query(
    `insert into threads (id, tenant_id, chat_id, flow_id, title, version, created_at, updated_at)
     select ${pgId(KIND.thread, 'i')}, $1, ${pgId(KIND.chat, 'i')}, $2, 'Thread', 1, ${at}, ${at} from generate_series(1, ${o.count}) i`,
    [o.tenantId, o.flowId],
  );
  const chat = `((j - 1) / ${o.perChat} + 1)`;
  await client.query(
    `insert into messages (id, tenant_id, flow_id, chat_id, thread_id, role, content, session_id, chat_type, created_at)
     select ${pgId(KIND.message, 'j')}, $1, $2, ${pgId(KIND.chat, chat)}, ${pgId(KIND.thread, chat)},
            case j % 2 when 0 then 'USER' else 'ASSISTANT' end,
            'bench message ' || j || ': the quick brown fox jumps over the lazy dog, then asks the support bot about its invoice.',
            'session-' || ${chat}, 'INTERNAL', ${at}
     from generate_series(1, ${o.count * o.perChat}) j`,
    [o.tenantId, o.flowId],
  );
}

/** Fails when the SQL ids are not benchId's. */
export async function checkIds(client: pg.Client): Promise<void> {
  const check = await client.query<{ id: string }>(`select ${pgId(KIND.chat, '7')} as id`);
  if (check.rows[0]!.id !== benchId(KIND.chat, 7)) throw new Error(`chat ids differ from benchId: ${check.rows[0]!.id}`);
}
