import { type Migration, type MigrationProvider, Migrator } from 'kysely';
import type { DataStore } from './data-store.ts';
import * as initial from './migrations/2026-11-24-0001-initial.ts';
import * as idempotencyKeys from './migrations/2026-11-24-0002-idempotency-keys.ts';
import * as erasureJobs from './migrations/2026-11-24-0003-erasure-jobs.ts';
import * as apiKeyScopes from './migrations/2026-11-24-0004-api-key-scopes.ts';
import * as erasureJobHistory from './migrations/2026-11-24-0005-erasure-job-history.ts';
import * as threadsFlowDeleted from './migrations/2026-11-24-0006-threads-flow-deleted.ts';
import * as erasurePendingAudit from './migrations/2026-11-24-0007-erasure-pending-audit.ts';
import * as apiKeysChanged from './migrations/2026-11-30-0008-api-keys-changed.ts';
import * as idempotencyAnswersErased from './migrations/2026-11-30-0009-idempotency-answers-erased.ts';
import * as erasureCopies from './migrations/2026-12-01-0010-erasure-copies.ts';
import * as auditHashChain from './migrations/2026-12-01-0011-audit-hash-chain.ts';
import * as legalHolds from './migrations/2026-12-01-0012-legal-holds.ts';
import * as retention from './migrations/2026-12-01-0013-retention.ts';
import * as messagesOfSubject from './migrations/2026-12-01-0014-messages-of-subject.ts';
import * as openAiFlows from './migrations/2026-12-01-0015-openai-flows.ts';
import * as deliveriesByReceipt from './migrations/2026-12-02-0016-deliveries-by-receipt.ts';

// Listed explicitly (not read from a folder) so the set is the same under tsx, a bundle or a
// test (which may run them up to one of them, to test the next on data written before it).
export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-24-0001-initial': initial,
  '2026-11-24-0002-idempotency-keys': idempotencyKeys,
  '2026-11-24-0003-erasure-jobs': erasureJobs,
  '2026-11-24-0004-api-key-scopes': apiKeyScopes,
  '2026-11-24-0005-erasure-job-history': erasureJobHistory,
  '2026-11-24-0006-threads-flow-deleted': threadsFlowDeleted,
  '2026-11-24-0007-erasure-pending-audit': erasurePendingAudit,
  '2026-11-30-0008-api-keys-changed': apiKeysChanged,
  '2026-11-30-0009-idempotency-answers-erased': idempotencyAnswersErased,
  '2026-12-01-0010-erasure-copies': erasureCopies,
  '2026-12-01-0011-audit-hash-chain': auditHashChain,
  '2026-12-01-0012-legal-holds': legalHolds,
  '2026-12-01-0013-retention': retention,
  '2026-12-01-0014-messages-of-subject': messagesOfSubject,
  '2026-12-01-0015-openai-flows': openAiFlows,
  '2026-12-02-0016-deliveries-by-receipt': deliveriesByReceipt,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

async function migrator(store: DataStore): Promise<Migrator> {
  return new Migrator({ db: store.db, provider, migrationTableSchema: await store.migrationTableSchema() });
}

export async function migrateToLatest(store: DataStore): Promise<string[]> {
  const { error, results } = await (await migrator(store)).migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}


/** Names of the migrations not run yet (readiness). */
export async function pendingMigrations(store: DataStore): Promise<string[]> {
  const all = await (await migrator(store)).getMigrations();
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
}
