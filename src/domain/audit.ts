import { insertAudit } from '../data/audit.repository.ts';
import type { Db } from '../data/db.ts';
import type { AuditRow, NewAudit } from '../data/tables.ts';
import type { Scope } from './scope.ts';
import { newId } from './ids.ts';

export type AuditEntry = AuditRow;

export interface AuditFacts {
  action: string;
  targetType: AuditRow['target_type'];
  targetId: string;
  /** Counts and options only: never message content. */
  details: Record<string, unknown>;
}

/** Written inside the transaction of the change it records, so both commit or neither. */
export async function recordAudit(
  trx: Db,
  scope: Pick<Scope, 'tenantId' | 'actor' | 'requestId'>,
  facts: AuditFacts,
  at: string,
): Promise<AuditEntry> {
  return insertAudit(trx, auditRow(scope, facts, at));
}

/** The row of an audit entry, for a statement that writes it along with its change. */
export function auditRow(scope: Pick<Scope, 'tenantId' | 'actor' | 'requestId'>, facts: AuditFacts, at: string): NewAudit {
  return {
    id: newId(),
    tenant_id: scope.tenantId,
    action: facts.action,
    target_type: facts.targetType,
    target_id: facts.targetId,
    actor: scope.actor,
    request_id: scope.requestId,
    details: JSON.stringify(facts.details),
    at,
  };
}
