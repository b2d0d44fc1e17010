import { createHash, randomBytes } from 'node:crypto';
import {
  findActiveKeyByHash,
  findTenantByName,
  insertApiKey,
  insertTenant,
} from '../data/tenants.repository.ts';
import type { Db } from '../data/open-database.ts';
import { UnauthenticatedError } from './errors.ts';
import { newId } from './ids.ts';

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
}

/** Creates the tenant if it is new, then a key for it; `key` is the only copy of the secret. */
export async function createApiKey(
  db: Db,
  input: { tenant: string; name: string; key?: string },
  now: string,
): Promise<CreatedKey> {
  return db.transaction().execute(async (trx) => {
    let tenant = await findTenantByName(trx, input.tenant);
    if (!tenant) {
      tenant = { id: newId(), name: input.tenant, created_at: now };
      await insertTenant(trx, tenant);
    }
    const key = input.key ?? generateKey();
    await insertApiKey(trx, { id: newId(), tenant_id: tenant.id, name: input.name, key_hash: hashKey(key), created_at: now });
    return { tenantId: tenant.id, name: input.name, key };
  });
}

export async function authenticate(db: Db, key: string | undefined): Promise<{ tenantId: string; actor: string }> {
  if (!key) throw new UnauthenticatedError();
  const found = await findActiveKeyByHash(db, hashKey(key));
  if (!found) throw new UnauthenticatedError('The API key is not valid');
  return { tenantId: found.tenant_id, actor: found.name };
}
