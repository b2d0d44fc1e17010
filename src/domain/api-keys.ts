import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../data/db.ts';
import type { DataStore } from '../data/data-store.ts';
import {
  findActiveKeysByName,
  findTenantByName,
  insertApiKey,
  insertTenant,
  revokeKeysByName,
} from '../data/tenants.repository.ts';
import { ForbiddenError, UnauthenticatedError, ValidationError } from './errors.ts';
import { newId } from './ids.ts';

/**
 * What a key may do: read (queries, subscriptions, receipts), write (creates, streams),
 * delete (deletes, restores), admin (erasure targets: where the server sends data; legal holds: what it may not erase).
 */
export const ALL_PERMISSIONS = ['read', 'write', 'delete', 'admin'] as const;
export type Permission = (typeof ALL_PERMISSIONS)[number];

/** A new key's permissions unless others are asked for: admin only when asked for. */
export const DEFAULT_PERMISSIONS: readonly Permission[] = ['read', 'write', 'delete'];

export function parsePermissions(text: string): Permission[] {
  const given = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const wrong = given.filter((p) => !ALL_PERMISSIONS.includes(p as Permission));
  if (given.length === 0 || wrong.length > 0) {
    throw new ValidationError([{ path: ['scopes'], message: `must list some of ${ALL_PERMISSIONS.join(', ')}` }]);
  }
  return ALL_PERMISSIONS.filter((p) => given.includes(p));
}

export function requirePermission(granted: readonly Permission[], needed: Permission): void {
  if (!granted.includes(needed)) throw new ForbiddenError(`This API key lacks the "${needed}" permission`);
}

// Keys are 256 random bits, so a plain SHA-256 is enough to make a stolen hash useless;
// a slow password hash would only slow every request down.
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateKey(): string {
  return `cgw_${randomBytes(32).toString('base64url')}`;
}

export interface CreatedKey {
  tenantId: string;
  name: string;
  key: string;
  permissions: Permission[];
}

interface NewKey {
  tenant: string;
  name: string;
  key?: string;
  permissions?: readonly Permission[];
}

/** Creates the tenant if it is new, then a key for it; `key` is the only copy of the secret. */
export async function createApiKey(db: Db, input: NewKey, now: string): Promise<CreatedKey> {
  return db.transaction().execute((trx) => createKeyIn(trx, input, now));
}

async function createKeyIn(trx: Db, input: NewKey, now: string): Promise<CreatedKey> {
  const permissions = [...(input.permissions ?? DEFAULT_PERMISSIONS)];
  let tenant = await findTenantByName(trx, input.tenant);
  if (!tenant) {
    tenant = { id: newId(), name: input.tenant, created_at: now };
    await insertTenant(trx, tenant);
  }
  const key = input.key ?? generateKey();
  await insertApiKey(trx, {
    id: newId(),
    tenant_id: tenant.id,
    name: input.name,
    key_hash: hashKey(key),
    created_at: now,
    scopes: permissions.join(','),
  });
  return { tenantId: tenant.id, name: input.name, key, permissions };
}

export interface Authenticated {
  tenantId: string;
  actor: string;
  permissions: Permission[];
}

export async function authenticate(store: DataStore, key: string | undefined): Promise<Authenticated> {
  if (!key) throw new UnauthenticatedError();
  const found = await store.keys.find(hashKey(key));
  if (!found) throw new UnauthenticatedError('The API key is not valid');
  return { tenantId: found.tenant_id, actor: found.name, permissions: parsePermissions(found.scopes) };
}

/** Revokes every active key of that name in the tenant; a revoked key answers 401 at once. */
export async function revokeApiKeys(db: Db, input: { tenant: string; name: string }, now: string): Promise<number> {
  const tenant = await findTenantByName(db, input.tenant);
  return tenant ? revokeKeysByName(db, tenant.id, input.name, now) : 0;
}

/**
 * Replaces the keys of that name with a new one with the same permissions, in one
 * transaction: the old secret stops working when the new one is printed.
 */
export async function rotateApiKey(db: Db, input: { tenant: string; name: string }, now: string): Promise<CreatedKey> {
  return db.transaction().execute(async (trx) => {
    const tenant = await findTenantByName(trx, input.tenant);
    const current = tenant ? await findActiveKeysByName(trx, tenant.id, input.name) : [];
    if (!tenant || current.length === 0) {
      throw new ValidationError([{ path: ['name'], message: `tenant "${input.tenant}" has no active key named "${input.name}"` }]);
    }
    await revokeKeysByName(trx, tenant.id, input.name, now);
    return createKeyIn(trx, { tenant: input.tenant, name: input.name, permissions: parsePermissions(current[0]!.scopes) }, now);
  });
}
