import { foreignKeyProblems, integrityProblems } from '../data/checks.repository.ts';
import { countErasureJobs } from '../data/erasure.repository.ts';
import type { DataStore } from '../data/open-database.ts';

export interface Diagnosis {
  integrity: string[];
  foreignKeys: string[];
  /** Large erasures still queued (they finish while a server runs). */
  pendingErasures: number;
  healthy: boolean;
}

/** What `chat-gateway doctor` reports: the database's own checks and the erasure backlog. */
export async function diagnose(store: DataStore): Promise<Diagnosis> {
  const integrity = await integrityProblems(store);
  const foreignKeys = await foreignKeyProblems(store);
  const pendingErasures = await countErasureJobs(store.db);
  return { integrity, foreignKeys, pendingErasures, healthy: integrity.length === 0 && foreignKeys.length === 0 };
}

/** The start-up check: broken foreign keys mean rows a delete might never reach. */
export async function foreignKeysAtStartup(store: DataStore): Promise<string[]> {
  return foreignKeyProblems(store);
}
