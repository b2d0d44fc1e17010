import { type SqlBool, sql } from 'kysely';
import type { Db } from './db.ts';
import type { RetentionPolicyRow } from './tables.ts';

export async function listRetentionPolicies(db: Db, tenantId: string): Promise<RetentionPolicyRow[]> {
  // The default (null flow) first, then by flow.
  return db
    .selectFrom('retention_policies')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy(sql`coalesce(flow_id, '')`)
    .execute();
}

export async function findRetentionPolicy(db: Db, tenantId: string, id: string): Promise<RetentionPolicyRow | undefined> {
  return db.selectFrom('retention_policies').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** The tenant's policy of `flowId` (null: its default), if any. */
export async function findPolicyOfFlow(db: Db, tenantId: string, flowId: string | null): Promise<RetentionPolicyRow | undefined> {
  return db
    .selectFrom('retention_policies')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where(sql<SqlBool>`coalesce(flow_id, '') = ${flowId ?? ''}`)
    .executeTakeFirst();
}

export async function insertRetentionPolicy(db: Db, row: RetentionPolicyRow): Promise<void> {
  await db.insertInto('retention_policies').values(row).execute();
}

export async function updateRetentionPolicy(db: Db, id: string, maxAgeDays: number, at: string): Promise<void> {
  await db.updateTable('retention_policies').set({ max_age_days: maxAgeDays, updated_at: at }).where('id', '=', id).execute();
}

export async function deleteRetentionPolicy(db: Db, id: string): Promise<void> {
  await db.deleteFrom('retention_policies').where('id', '=', id).execute();
}

export async function tenantsWithRetention(db: Db): Promise<string[]> {
  return (await db.selectFrom('retention_policies').select('tenant_id').distinct().orderBy('tenant_id').execute()).map((r) => r.tenant_id);
}

/** Where a walk through the expired chats stands: the last chat it was given. */
export interface ChatPosition {
  createdAt: string;
  id: string;
}

/**
 * Up to `limit` live chats of the policy's flows (a flow's own, or for the default every
 * flow of the tenant without one) whose last activity (newest message, else the chat's
 * creation) is before `cutoff`, after `after` in (created_at, id) order. A chat created
 * after the cutoff cannot be expired, and that order is the index's (chats_tenant_created,
 * chats_flow_created): a query reads the chats from where the last one ended until it has
 * `limit`, not every chat of the tenant (which held the event loop 25-65 ms a query).
 */
export async function expiredChats(
  db: Db,
  policy: Pick<RetentionPolicyRow, 'tenant_id' | 'flow_id'>,
  cutoff: string,
  after: ChatPosition | undefined,
  limit: number,
): Promise<ChatPosition[]> {
  const lastActivity = sql<string>`coalesce((select max(m.created_at) from messages m where m.chat_id = chats.id), chats.created_at)`;
  let q = db
    .selectFrom('chats')
    .select(['chats.created_at as createdAt', 'chats.id'])
    .where('chats.tenant_id', '=', policy.tenant_id)
    .where('chats.deleted_at', 'is', null)
    .where('chats.created_at', '<', cutoff)
    .where(lastActivity, '<', cutoff);
  q =
    policy.flow_id === null
      ? q.where(sql<SqlBool>`chats.flow_id not in (select p.flow_id from retention_policies p where p.tenant_id = ${policy.tenant_id} and p.flow_id is not null)`)
      : q.where('chats.flow_id', '=', policy.flow_id);
  if (after) q = q.where((eb) => eb(eb.refTuple('chats.created_at', 'chats.id'), '>', eb.tuple(after.createdAt, after.id)));
  return q.orderBy('chats.created_at').orderBy('chats.id').limit(limit).execute();
}

/**
 * Takes the lease `name` for `holder` until `until`, unless another holds it past `now`;
 * answers whether `holder` has it.
 */
export async function takeLease(db: Db, name: string, holder: string, now: string, until: string): Promise<boolean> {
  await db
    .insertInto('leases')
    .values({ name, holder, leased_until: until })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({ holder, leased_until: until }).where((eb) => eb.or([eb('leases.leased_until', '<', now), eb('leases.holder', '=', holder)])),
    )
    .execute();
  const row = await db.selectFrom('leases').select('holder').where('name', '=', name).executeTakeFirst();
  return row?.holder === holder;
}

export async function releaseLease(db: Db, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}
