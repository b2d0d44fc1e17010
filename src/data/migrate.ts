import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as initial from './migrations/2026-11-24-0001-initial.ts';
import * as idempotencyKeys from './migrations/2026-11-24-0002-idempotency-keys.ts';
import * as erasureJobs from './migrations/2026-11-24-0003-erasure-jobs.ts';
import type { Db } from './open-database.ts';

// Listed explicitly (not read from a folder) so the set is the same under tsx, a bundle or a test.
const migrations: Record<string, Migration> = {
  '2026-11-24-0001-initial': initial,
  '2026-11-24-0002-idempotency-keys': idempotencyKeys,
  '2026-11-24-0003-erasure-jobs': erasureJobs,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export function migrator(db: Db): Migrator {
  return new Migrator({ db, provider });
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results } = await migrator(db).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

