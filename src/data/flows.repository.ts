import type { FlowRow } from './tables.ts';
import { type PageRequest, keysetPage } from './keyset.ts';
import type { Db } from './db.ts';

export async function insertFlow(db: Db, row: FlowRow) {
  await db.insertInto('flows').values(row).execute();
}

export async function findFlows(db: Db, tenantId: string, ids: readonly string[]): Promise<FlowRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('flows').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids).execute();
}

export async function listFlows(db: Db, tenantId: string, page: PageRequest): Promise<FlowRow[]> {
  const q = db.selectFrom('flows').selectAll().where('tenant_id', '=', tenantId);
  return keysetPage(q, 'created_at', 'id', page).execute();
}
