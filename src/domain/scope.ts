import type { Permission } from './api-keys.ts';

/** Who acts, for which tenant, in which request: scopes every read and write. */
export interface Scope {
  tenantId: string;
  /** What the API key may do. */
  permissions: readonly Permission[];
  /** The API key's name: the audit log's actor. */
  actor: string;
  requestId: string;
}
