import type { Db } from '../data/db.ts';
import { type ErasedRowsFound, type ErasedScope, findErasedRows } from '../data/erased-rows.repository.ts';
import { activeTargetsOfFlow } from '../data/erasure-targets.repository.ts';
import { insertDeliveries } from '../data/outbox.repository.ts';
import { deliveriesOfReceipt, findReceipt, insertReceipt } from '../data/receipts.repository.ts';
import type { ErasureDeliveryRow, ErasureReceiptRow, ErasureStatus, ErasureTargetRow, ResourceType } from '../data/tables.ts';
import { type ErasedRow, type ErasureEvent, MESSAGE_IDS_LIMIT } from './copy-erasure.ts';
import type { Deps } from './deps.ts';
import { leaseFrom } from './erasure-outbox.ts';
import { newId } from './ids.ts';
import type { Scope } from './scope.ts';
import type { Settings } from './settings.ts';
import { isId } from './validation.ts';

// A receipt is the proof of one permanent delete: what it erased here, and each copy
// elsewhere it had to erase. It is written in the delete's transaction with the outbox
// entries (one per target of the flow), so a committed delete always has both, and its
// status is worked out when read: PENDING while this service's rows (a queued erasure) or
// any copy are not confirmed gone, FAILED once a copy gave up, else COMPLETE.

export const RECEIPT_KINDS = ['chats', 'threads', 'messages', 'streams', 'streamEvents'] as const;
export type ErasureCounts = Partial<Record<(typeof RECEIPT_KINDS)[number], number>>;

/** What a delete leaves for its receipt, written once it has acted. */
export interface ReceiptRequest {
  id: string;
  action: string;
  targetType: ResourceType | null;
  targetId: string | null;
  auditEntryId: string;
  counts: ErasureCounts;
  /** The queued erasure still erasing this service's rows, if any. */
  erasureJobId?: string;
}

/** The receipt of the delete its audit entry records (written, or still pending with a preset id). */
export function receiptFor(
  entry: { id: string; action: string; targetType: ResourceType; targetId: string },
  counts: ErasureCounts,
  options: { id?: string; erasureJobId?: string } = {},
): ReceiptRequest {
  const { id = newId(), erasureJobId } = options;
  return {
    id,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId,
    auditEntryId: entry.id,
    counts,
    ...(erasureJobId !== undefined && { erasureJobId }),
  };
}

/** The copies a delete must erase: its flow's targets, and what it erases, read before its rows go. */
export interface CopiesToErase {
  flowId: string;
  targets: ErasureTargetRow[];
  event: Omit<ErasureEvent, 'id' | 'receiptId' | 'erasedAt'>;
}

export interface CopyErasure {
  targetId: string;
  name: string;
  status: ErasureStatus;
  attempts: number;
  lastError: string | null;
  completedAt: string | null;
}

export interface ErasureReceipt {
  id: string;
  action: string;
  targetType: ResourceType | null;
  targetId: string | null;
  status: ErasureStatus;
  requestedAt: string;
  completedAt: string | null;
  counts: ErasureCounts;
  copies: CopyErasure[];
  auditEntryId: string;
}

/**
 * The copies a delete of `erased` in `flowId` reaches, or undefined when the flow has no
 * target (then nothing more is read).
 */
export async function copiesToErase(trx: Db, tenantId: string, flowId: string, erased: ErasedScope): Promise<CopiesToErase | undefined> {
  const targets = await activeTargetsOfFlow(trx, tenantId, flowId);
  if (targets.length === 0) return undefined;
  return copiesOf({ flowId, targets, erased }, await readErased(trx, erased));
}

/** What erasing `erased` takes, read before its rows go. */
export function readErased(trx: Db, erased: ErasedScope): Promise<ErasedRowsFound> {
  return findErasedRows(trx, erased, MESSAGE_IDS_LIMIT);
}

/** The copies `reach.targets` hold of what erasing `reach.erased` took (`found`: read before the rows went, or reported by the delete that took them). */
export function copiesOf(reach: { flowId: string; targets: ErasureTargetRow[]; erased: ErasedScope }, found: ErasedRowsFound): CopiesToErase | undefined {
  const { flowId, targets, erased } = reach;
  // A selection that matched nothing has no copy to erase.
  if (erased.kind === 'selection' && found.rows.length === 0) return undefined;
  const chatIds = new Set<string>(erased.kind === 'selection' ? [] : [erased.chatId]);
  const sessionIds = new Set<string>();
  for (const row of found.rows) {
    chatIds.add(row.chat_id);
    if (row.session_id !== null) sessionIds.add(row.session_id);
  }
  const rows: ErasedRow[] = found.rows.map((r) => ({ chatId: r.chat_id, threadId: r.thread_id, sessionId: r.session_id }));
  // Empty threads hold no message rows, yet a key pattern of {threadId} names their keys.
  const withMessages = new Set(found.rows.map((r) => r.thread_id));
  if (erased.kind !== 'selection') {
    for (const threadId of found.threadIds) {
      if (!withMessages.has(threadId)) rows.push({ chatId: erased.chatId, threadId, sessionId: null });
    }
    // A chat without threads still names the keys of {chatId} and {flowId} patterns.
    if (rows.length === 0) rows.push({ chatId: erased.chatId, threadId: null, sessionId: null });
  }
  return {
    flowId,
    targets,
    event: {
      flowId,
      chatIds: [...chatIds],
      threadIds: found.threadIds,
      sessionIds: [...sessionIds],
      messageIds: found.messageIds,
      rows,
    },
  };
}

/**
 * Inside the delete's transaction: the receipt, and one outbox entry per target, held under
 * this process's lease; answers the entries, for the outbox to deliver once committed.
 */
export async function writeReceipt(
  trx: Db,
  scope: Pick<Scope, 'tenantId'>,
  request: ReceiptRequest,
  copies: readonly CopiesToErase[],
  at: string,
  settings: Pick<Settings, 'erasureRetryMs'>,
): Promise<ErasureDeliveryRow[]> {
  const receipt: ErasureReceiptRow = {
    id: request.id,
    tenant_id: scope.tenantId,
    action: request.action,
    target_type: request.targetType,
    target_id: request.targetId,
    audit_entry_id: request.auditEntryId,
    counts: JSON.stringify(request.counts),
    requested_at: at,
    rows_erased_at: request.erasureJobId ? null : at,
    erasure_job_id: request.erasureJobId ?? null,
  };
  await insertReceipt(trx, receipt);
  const deadline = new Date(Date.parse(at) + settings.erasureRetryMs).toISOString();
  const deliveries = copies.flatMap(({ targets, event: erased }) => targets.map((target): ErasureDeliveryRow => {
    const id = newId();
    const event: ErasureEvent = { id, receiptId: request.id, erasedAt: at, ...erased };
    return {
      id,
      tenant_id: scope.tenantId,
      receipt_id: request.id,
      target_id: target.id,
      event: JSON.stringify(event),
      status: 'PENDING',
      attempts: 0,
      last_error: null,
      created_at: at,
      next_attempt_at: at,
      deadline_at: deadline,
      leased_until: leaseFrom(at),
      completed_at: null,
    };
  }));
  await insertDeliveries(trx, deliveries);
  return deliveries;
}

/** The tenant's receipt, or undefined (another tenant's is as missing as one never written). */
export async function getErasureReceipt(deps: Deps, scope: Scope, id: string): Promise<ErasureReceipt | undefined> {
  if (!isId(id)) return undefined;
  const row = await findReceipt(deps.store.db, scope.tenantId, id.toLowerCase());
  if (!row) return undefined;
  const copies = (await deliveriesOfReceipt(deps.store.db, row.id)).map(
    (d): CopyErasure => ({
      targetId: d.target_id,
      name: d.target_name,
      status: d.status,
      attempts: d.attempts,
      lastError: d.last_error,
      completedAt: d.completed_at,
    }),
  );
  const status = receiptStatus(row, copies);
  const confirmed = [row.rows_erased_at, ...copies.map((c) => c.completedAt)].filter((t): t is string => t !== null);
  return {
    id: row.id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    status,
    requestedAt: row.requested_at,
    completedAt: status === 'COMPLETE' ? confirmed.sort().at(-1)! : null,
    counts: JSON.parse(row.counts) as ErasureCounts,
    copies,
    auditEntryId: row.audit_entry_id,
  };
}

function receiptStatus(row: ErasureReceiptRow, copies: readonly CopyErasure[]): ErasureStatus {
  if (row.rows_erased_at === null || copies.some((c) => c.status === 'PENDING')) return 'PENDING';
  return copies.some((c) => c.status === 'FAILED') ? 'FAILED' : 'COMPLETE';
}
