import { findFlows } from '../data/flows.repository.ts';
import {
  deleteRetentionPolicy,
  findPolicyOfFlow,
  findRetentionPolicy,
  insertRetentionPolicy,
  listRetentionPolicies,
  updateRetentionPolicy,
} from '../data/retention.repository.ts';
import type { RetentionPolicyRow } from '../data/tables.ts';
import { recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import { NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import type { Scope } from './scope.ts';
import { Checker, isId } from './validation.ts';

/** How long a chat may stay after its last activity, in a flow or (flowId null) by default. */
export interface RetentionPolicy {
  id: string;
  flowId: string | null;
  maxAgeDays: number;
  createdAt: string;
  updatedAt: string;
}

/** A thousand years: beyond it a policy is a typo, not a decision. */
export const MAX_AGE_DAYS_LIMIT = 365_000;

function policyOf(row: RetentionPolicyRow): RetentionPolicy {
  return { id: row.id, flowId: row.flow_id, maxAgeDays: row.max_age_days, createdAt: row.created_at, updatedAt: row.updated_at };
}

export async function retentionPolicies(deps: Pick<Deps, 'store'>, scope: Scope): Promise<RetentionPolicy[]> {
  return (await listRetentionPolicies(deps.store.db, scope.tenantId)).map(policyOf);
}

/** Sets the policy of a flow (or the tenant's default); one that exists is updated and keeps its id. */
export async function setRetentionPolicy(deps: Pick<Deps, 'store' | 'clock'>, scope: Scope, input: { flowId?: string | null; maxAgeDays: number }): Promise<RetentionPolicy> {
  const check = new Checker();
  const flowId = input.flowId == null ? null : check.id(['input', 'flowId'], input.flowId);
  if (!Number.isInteger(input.maxAgeDays) || input.maxAgeDays < 1) check.fail(['input', 'maxAgeDays'], 'must be a positive number of days');
  else if (input.maxAgeDays > MAX_AGE_DAYS_LIMIT) check.fail(['input', 'maxAgeDays'], `must be at most ${MAX_AGE_DAYS_LIMIT}`);
  check.done();
  const now = isoNow(deps.clock);
  return deps.store.db.transaction().execute(async (trx) => {
    if (flowId !== null && (await findFlows(trx, scope.tenantId, [flowId])).length === 0) throw new NotFoundError('FLOW', flowId);
    const existing = await findPolicyOfFlow(trx, scope.tenantId, flowId);
    const row: RetentionPolicyRow = existing
      ? { ...existing, max_age_days: input.maxAgeDays, updated_at: now }
      : { id: newId(), tenant_id: scope.tenantId, flow_id: flowId, max_age_days: input.maxAgeDays, created_at: now, updated_at: now };
    if (existing) await updateRetentionPolicy(trx, row.id, row.max_age_days, now);
    else await insertRetentionPolicy(trx, row);
    await recordAudit(
      trx,
      scope,
      {
        action: 'retention_policy.set',
        targetType: 'RETENTION_POLICY',
        targetId: row.id,
        details: { flowId, maxAgeDays: row.max_age_days, previousMaxAgeDays: existing?.max_age_days ?? null },
      },
      now,
    );
    return policyOf(row);
  });
}

export async function removeRetentionPolicy(deps: Pick<Deps, 'store' | 'clock'>, scope: Scope, id: string): Promise<RetentionPolicy> {
  if (!isId(id)) throw new NotFoundError('RETENTION_POLICY', id);
  const now = isoNow(deps.clock);
  return deps.store.db.transaction().execute(async (trx) => {
    const row = await findRetentionPolicy(trx, scope.tenantId, id.toLowerCase());
    if (!row) throw new NotFoundError('RETENTION_POLICY', id);
    await deleteRetentionPolicy(trx, row.id);
    await recordAudit(
      trx,
      scope,
      { action: 'retention_policy.remove', targetType: 'RETENTION_POLICY', targetId: row.id, details: { flowId: row.flow_id, maxAgeDays: row.max_age_days } },
      now,
    );
    return policyOf(row);
  });
}
