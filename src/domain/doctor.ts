import { databaseAnswers } from '../data/checks.repository.ts';
import { erasureBacklog as backlog } from '../data/erasure.repository.ts';
import { pendingMigrations } from '../data/migrate.ts';
import type { DataStore } from '../data/data-store.ts';

export interface Diagnosis {
  integrity: string[];
  foreignKeys: string[];
  /** Large erasures still queued (they finish while a server runs). */
  pendingErasures: number;
  healthy: boolean;
}

/** What `chat-gateway doctor` reports: the database's own checks and the erasure backlog. */
export async function diagnose(store: DataStore): Promise<Diagnosis> {
  const integrity = await store.integrityProblems();
  const foreignKeys = await store.foreignKeyProblems();
  const pendingErasures = (await backlog(store.db)).jobs;
  return { integrity, foreignKeys, pendingErasures, healthy: integrity.length === 0 && foreignKeys.length === 0 };
}

/** The start-up check: broken foreign keys mean rows a delete might never reach. */
export async function foreignKeysAtStartup(store: DataStore): Promise<string[]> {
  return store.foreignKeyProblems();
}

/** The erasure queue's length and the creation time of its oldest job (metrics). */
export async function erasureBacklog(store: DataStore): Promise<{ jobs: number; oldest: string | null }> {
  return backlog(store.db);
}

export interface Readiness {
  database: boolean;
  migrations: boolean;
}

/** Ready: the database answers and every migration has run. */
export async function readiness(store: DataStore): Promise<Readiness> {
  const database = await databaseAnswers(store.db);
  const migrations = database && (await pendingMigrations(store)).length === 0;
  return { database, migrations };
}
