import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';

export async function findTenantByName(db: Db, name: string) {
  return db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function insertTenant(db: Db, row: { id: string; name: string; created_at: string }) {
  await db.insertInto('tenants').values(row).execute();
}

export async function insertApiKey(
  db: Db,
  row: { id: string; tenant_id: string; name: string; key_hash: string; created_at: string; scopes: string },
) {
  await db.insertInto('api_keys').values({ ...row, revoked_at: null }).execute();
}

/** The active key with a hash: every request asks (the SQLite store runs it on its connection directly). */
export const activeKeyQuery = (db: Db, keyHash: string) =>
  db.selectFrom('api_keys').select(['tenant_id', 'name', 'scopes']).where('key_hash', '=', keyHash).where('revoked_at', 'is', null);

/** Compiled once: every request runs it (bench/RESULTS.md, issue 19). */
const activeKeyStatement = compiledOnce((db, { keyHash }: { keyHash: string }) => activeKeyQuery(db, keyHash));

export async function findActiveKeyByHash(db: Db, keyHash: string) {
  const [key] = await activeKeyStatement(db, { keyHash });
  return key;
}

/** Revokes a tenant's active keys of that name; returns how many. */
export async function revokeKeysByName(db: Db, tenantId: string, name: string, now: string): Promise<number> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function findActiveKeysByName(db: Db, tenantId: string, name: string) {
  return db
    .selectFrom('api_keys')
    .select(['id', 'scopes'])
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function countTenants(db: Db): Promise<number> {
  const row = await db.selectFrom('tenants').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Tenants by name, `limit` after `afterName` (a walk over every tenant in bounded memory). */
export async function tenantsPage(db: Db, afterName: string | undefined, limit: number) {
  let q = db.selectFrom('tenants').select(['id', 'name']);
  if (afterName !== undefined) q = q.where('name', '>', afterName);
  return q.orderBy('name').limit(limit).execute();
}
