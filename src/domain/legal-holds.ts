import { findChats } from '../data/chats.repository.ts';
import type { Db } from '../data/db.ts';
import { findFlows } from '../data/flows.repository.ts';
import type { PageRequest } from '../data/keyset.ts';
import { type HoldReach, findLegalHold, heldBy, insertLegalHold, listLegalHolds, markHoldReleased } from '../data/legal-holds.repository.ts';
import type { LegalHoldRow, LegalHoldScope } from '../data/tables.ts';
import { recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { DeletionObserver } from './deletion-observer.ts';
import type { Deps } from './deps.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import type { Scope } from './scope.ts';
import { Checker, isId } from './validation.ts';

export type { HoldReach } from '../data/legal-holds.repository.ts';

/** A legal hold as shown. */
export interface LegalHold {
  id: string;
  scope: LegalHoldScope;
  targetId: string;
  reason: string;
  createdAt: string;
  createdBy: string;
  releasedAt: string | null;
}

export interface PlaceLegalHoldInput {
  scope: LegalHoldScope;
  targetId: string;
  reason: string;
}

/** Long enough for a case number and a sentence of why; a hold is no place for documents. */
export const REASON_LIMIT = 1000;

export function legalHoldOf(row: LegalHoldRow): LegalHold {
  return {
    id: row.id,
    scope: row.scope,
    targetId: row.target_id,
    reason: row.reason,
    createdAt: row.created_at,
    createdBy: row.created_by,
    releasedAt: row.released_at,
  };
}

/**
 * From now on nothing the hold covers can be erased: every permanent delete of it answers
 * ConflictError LEGAL_HOLD, the purge skips it. A FLOW or CHAT must be the tenant's and
 * exist (its row is locked, so a delete of it either ran before or sees the hold).
 */
export async function placeLegalHold(deps: Pick<Deps, 'store' | 'clock'>, scope: Scope, input: PlaceLegalHoldInput): Promise<LegalHold> {
  const check = new Checker();
  const targetId = input.scope === 'SESSION' ? check.text(['input', 'targetId'], input.targetId) : check.id(['input', 'targetId'], input.targetId);
  const reason = check.text(['input', 'reason'], input.reason, REASON_LIMIT).trim();
  check.done();
  const now = isoNow(deps.clock);
  return deps.store.db.transaction().execute(async (trx) => {
    if (input.scope === 'FLOW' && (await findFlows(trx, scope.tenantId, [targetId])).length === 0) throw new NotFoundError('FLOW', targetId);
    if (input.scope === 'CHAT' && (await findChats(trx, scope.tenantId, [targetId], true)).length === 0) throw new NotFoundError('CHAT', targetId);
    const row: LegalHoldRow = {
      id: newId(),
      tenant_id: scope.tenantId,
      scope: input.scope,
      target_id: targetId,
      reason,
      created_at: now,
      created_by: scope.actor,
      released_at: null,
      released_by: null,
    };
    await insertLegalHold(trx, row);
    await recordAudit(trx, scope, { action: 'legal_hold.place', targetType: 'LEGAL_HOLD', targetId: row.id, details: { scope: row.scope, targetId } }, now);
    return legalHoldOf(row);
  });
}

/**
 * Lets what the hold covered be erased again (soft-deleted threads it kept are purged at
 * the purge's next run). Releasing a released hold answers it unchanged, with its first
 * releasedAt and no second audit entry: a client retrying after a lost answer learns it is done.
 */
export async function releaseLegalHold(deps: Pick<Deps, 'store' | 'clock'>, scope: Scope, id: string): Promise<LegalHold> {
  if (!isId(id)) throw new NotFoundError('LEGAL_HOLD', id);
  const now = isoNow(deps.clock);
  return deps.store.db.transaction().execute(async (trx) => {
    const row = await findLegalHold(trx, scope.tenantId, id.toLowerCase());
    if (!row) throw new NotFoundError('LEGAL_HOLD', id);
    if (row.released_at !== null) return legalHoldOf(row);
    await markHoldReleased(trx, row.id, now, scope.actor);
    await recordAudit(trx, scope, { action: 'legal_hold.release', targetType: 'LEGAL_HOLD', targetId: row.id, details: { scope: row.scope, targetId: row.target_id } }, now);
    return legalHoldOf({ ...row, released_at: now, released_by: scope.actor });
  });
}

export async function listHolds(deps: Pick<Deps, 'store'>, scope: Pick<Scope, 'tenantId'>, active: boolean | undefined, page: PageRequest): Promise<LegalHold[]> {
  return (await listLegalHolds(deps.store.db, scope.tenantId, active, page)).map(legalHoldOf);
}

/**
 * The one hold check of every erasure (the deletes through src/domain/delete-pipeline.ts;
 * subject erasure and retention are to call it too, the purge asks `isHeld`): throws
 * ConflictError LEGAL_HOLD naming the active holds that cover what `reach` would erase,
 * and tells `observer` (a dry run passes none: it counts nothing).
 */
export async function refuseHeld(trx: Db, tenantId: string, reach: HoldReach, observer?: Pick<DeletionObserver, 'held'>): Promise<void> {
  const holdIds = await heldBy(trx, tenantId, reach);
  if (holdIds.length === 0) return;
  observer?.held(reach.kind);
  throw heldError(holdIds);
}

function heldError(holdIds: readonly string[]): ConflictError {
  return new ConflictError(
    'LEGAL_HOLD',
    `The delete would erase data under legal hold (${holdIds.join(', ')}); nothing was changed. Release the hold first`,
    { holdIds },
  );
}

/** Whether an erasure the caller skips rather than refuses (the purge's) is held. */
export async function isHeld(trx: Db, tenantId: string, reach: HoldReach): Promise<boolean> {
  return (await heldBy(trx, tenantId, reach)).length > 0;
}
