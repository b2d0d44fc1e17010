import { insertAudit } from '../data/audit.repository.ts';
import type { Db } from '../data/db.ts';
import type { AuditRow, NewAudit } from '../data/tables.ts';
import type { Scope } from './scope.ts';
import type { ResourceType } from './errors.ts';
import { newId } from './ids.ts';

export type AuditEntry = AuditRow;

export interface AuditFacts {
  action: string;
  targetType: Exclude<ResourceType, 'DELETION_JOB'>;
  targetId: string;
  /** Counts and options only: never message content. */
  details: Record<string, unknown>;
}

/** An audit entry a change left to be recorded later, with what it will count by then. */
export interface PendingAudit {
  scope: Pick<Scope, 'tenantId' | 'actor' | 'requestId'>;
  facts: AuditFacts;
  at: string;
  /** The detail that receives the number of messages erased, once known. */
  countedAs: string;
}

/** The audit entry of a queued erasure, to be kept with its job until the count is known. */
export function pendingAudit(scope: PendingAudit['scope'], facts: AuditFacts, at: string, countedAs: string): string {
  const pending: PendingAudit = { scope: { tenantId: scope.tenantId, actor: scope.actor, requestId: scope.requestId }, facts, at, countedAs };
  return JSON.stringify(pending);
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
