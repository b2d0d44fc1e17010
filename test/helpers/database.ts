import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** Where the suite runs: SQLite by default, PostgreSQL when TEST_DATABASE_URL is set. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const ENGINE: 'sqlite' | 'postgres' = TEST_DATABASE_URL ? 'postgres' : 'sqlite';

export interface TestDatabase {
  url: string;
  /** The SQLite file (its folder holds the WAL); undefined on PostgreSQL. */
  file?: string;
  dir: string;
  drop(): Promise<void>;
}

/**
 * A database no other test sees: a SQLite file in a fresh folder, or on PostgreSQL a
 * fresh schema selected through the connection's search_path.
 */
export async function freshDatabase(memory = false): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-gateway-test-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (!TEST_DATABASE_URL) {
    const file = memory ? undefined : join(dir, 'test.db');
    return { url: file ?? ':memory:', file, dir, drop: async () => removeDir() };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    dir,
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      removeDir();
    },
  };
}
