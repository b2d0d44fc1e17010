import { listAudit } from '../data/audit.repository.ts';
import { type AuditEntry, auditEntryOf } from './audit.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';

/** The tenant's audit log, newest first, `limit` entries older than `beforeSeq`. */
export async function auditLog(deps: Deps, scope: Scope, beforeSeq: number | undefined, limit: number): Promise<AuditEntry[]> {
  return (await listAudit(deps.store.db, scope.tenantId, beforeSeq, limit)).map(auditEntryOf);
}
