import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';
import type { ErasureTargetRow } from './tables.ts';

export async function insertErasureTarget(db: Db, row: ErasureTargetRow): Promise<void> {
  await db.insertInto('erasure_targets').values(row).execute();
}

/** The flow's targets in use, oldest first. */
export async function activeTargetsOfFlow(db: Db, tenantId: string, flowId: string): Promise<ErasureTargetRow[]> {
  return activeTargetsStatement(db, { tenantId, flowId });
}

/** Compiled once: every permanent delete asks it. */
const activeTargetsStatement = compiledOnce((db, { tenantId, flowId }: { tenantId: string; flowId: string }) =>
  db
    .selectFrom('erasure_targets')
    .selectAll()
    .where('flow_id', '=', flowId)
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id'),
);

/** Locks the target it finds, so a removal and a delivery's lookup see one state. */
export async function findActiveTarget(db: Db, tenantId: string, id: string): Promise<ErasureTargetRow | undefined> {
  return db
    .selectFrom('erasure_targets')
    .selectAll()
    .where('id', '=', id)
    .where('tenant_id', '=', tenantId)
    .where('removed_at', 'is', null)
    .forUpdate()
    .executeTakeFirst();
}

/** Removed ones too: a delivery queued before a removal still goes out. */
export async function findTargetsByIds(db: Db, ids: readonly string[]): Promise<ErasureTargetRow[]> {
  if (ids.length === 0) return [];
  return db.selectFrom('erasure_targets').selectAll().where('id', 'in', ids).execute();
}

export async function markTargetRemoved(db: Db, id: string, at: string): Promise<void> {
  await db.updateTable('erasure_targets').set({ removed_at: at }).where('id', '=', id).execute();
}
