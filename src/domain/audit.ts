import { insertAudit } from '../data/audit.repository.ts';
import type { Db } from '../data/db.ts';
import type { AuditRow, NewAudit } from '../data/tables.ts';
import type { Scope } from './scope.ts';
import { newId } from './ids.ts';

export interface AuditEntry {
  id: string;
  action: string;
  targetType: AuditRow['target_type'];
  targetId: string;
  actor: string;
  requestId: string;
  /** JSON text of the counts and options, as recorded. */
  details: string | null;
  at: string;
  seq: number;
  /** Null until sealed into the tenant's hash chain, which happens after commit (audit-chain.ts). */
  hash: string | null;
  previousHash: string | null;
}

export function auditEntryOf(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    actor: row.actor,
    requestId: row.request_id,
    details: row.details,
    at: row.at,
    seq: row.seq,
    hash: row.hash,
    previousHash: row.previous_hash,
  };
}

export interface AuditFacts {
  /** Set in advance when something refers to the entry before it is written (a queued erasure's receipt). */
  id?: string;
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
  return auditEntryOf(await insertAudit(trx, auditRow(scope, facts, at)));
}

/** The row of an audit entry, for a statement that writes it along with its change. */
export function auditRow(scope: Pick<Scope, 'tenantId' | 'actor' | 'requestId'>, facts: AuditFacts, at: string): NewAudit {
  return {
    id: facts.id ?? newId(),
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
