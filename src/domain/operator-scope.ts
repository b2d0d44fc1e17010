import type { Db } from '../data/db.ts';
import { findTenantByName } from '../data/tenants.repository.ts';
import type { Permission } from './api-keys.ts';
import { newId } from './ids.ts';
import type { Scope } from './scope.ts';

/** The actor an operator's command acts as: the CLI is run by someone with the database, not with a key. */
export const OPERATOR_ACTOR = 'system:cli';

/**
 * The scope of an operator's command acting for the tenant named on its command line, with
 * the permissions the command needs; undefined when no tenant has that name.
 */
export async function operatorScope(db: Db, tenantName: string, permissions: readonly Permission[]): Promise<Scope | undefined> {
  const tenant = await findTenantByName(db, tenantName);
  return tenant && { tenantId: tenant.id, permissions, actor: OPERATOR_ACTOR, requestId: newId() };
}
