import type { Db } from '../data/db.ts';
import type { AuditEntry } from './audit.ts';
import type { ErasedRowsFound, ErasedScope } from '../data/erased-rows.repository.ts';
import { activeTargetsOfFlow } from '../data/erasure-targets.repository.ts';
import type { ErasureDeliveryRow, ErasureTargetRow } from '../data/tables.ts';
import type { ChatEvent } from '../live/events.ts';
import type { DeletedKind } from './deletion-observer.ts';
import type { Deps } from './deps.ts';
import { type CopiesToErase, type ReceiptRequest, copiesOf, copiesToErase, readErased, writeReceipt } from './erasure-receipts.ts';
import { versionMismatch } from './errors.ts';
import { type HoldReach, refuseHeld } from './legal-holds.ts';
import { type EndedStream, endStreams } from './publish-after-delete.ts';
import { redactStoredAnswers } from './redact-stored-answers.ts';
import type { Scope } from './scope.ts';

// Every delete takes the same steps, in this order:
//
// 1. In one transaction: find and lock the target (NotFoundError when it is not there, or
//    is another tenant's); check the expected version, then that no active legal hold
//    covers what it erases for good (ConflictError LEGAL_HOLD; a soft delete erases
//    nothing and is allowed), then the delete's own conflicts (live connections, running
//    streams); act: change the rows and record the audit
//    entry; when content goes for good (now, or through the erasure queue), redact every
//    copy this service keeps of it (the tenant's stored Idempotency-Key answers); and, for
//    a permanent delete, write its receipt and, when it reaches copies elsewhere, one
//    outbox entry per erasure target of the flow (what it erases is read before it acts,
//    or reported by the act that takes it).
// 2. After the commit, one step: end the streams it cancelled, count the rows for the
//    metrics, tell the chats' subscribers, make what was erased now unreadable in the
//    database files, and hand the outbox entries to the outbox's worker.
//
// A rule that applies to every delete (a dry run, a legal hold, an outbox of copies to
// erase elsewhere) belongs here, once.
//
// A dry run takes step 1 in full and rolls it back: the same checks in the same order, so
// the same answer (union member, counts, conflicts), and nothing of it stays, audit entry,
// receipt and outbox entries included. Step 2 is not taken: no stream is ended, no
// subscriber told, no metric counted, nothing handed to the outbox. What a delete does after its
// transaction (counting a queued erasure) it does without writing when `dryRun` is set.

/** Where a delete reaches copies elsewhere: what it erases in one flow. */
export interface CopyReach {
  flowId: string;
  erased: ErasedScope;
  /**
   * Set when the delete's `act`, asked to, reports the rows it erased (Aftermath.erasedRows)
   * as it takes them, so they are not read before it; when it erases them later instead (a
   * queued erasure, which only hides them now), it reports none and they are read after it.
   * At most one reach of a delete is reported.
   */
  reported?: boolean;
}

/** What a delete leaves to do once it has committed. */
export interface Aftermath {
  at: string;
  ended?: readonly EndedStream[];
  /** Rows removed, by kind, for the metrics. */
  deleted?: Partial<Record<DeletedKind, number>>;
  chatEvents?: readonly ChatEvent[];
  /**
   * Whether content goes for good: 'now' (erased in the transaction), 'queued' (hidden, and
   * erased by the queue after), or 'none' (a soft delete, or nothing matched).
   */
  erasure: 'now' | 'queued' | 'none';
  /** A permanent delete's receipt, written in its transaction. */
  receipt?: ReceiptRequest;
  /** What `act` erased, when asked to report it (CopyReach.reported). */
  erasedRows?: ErasedRowsFound;
  /** Set by the pipeline: the request, and the outbox entries it wrote for copies elsewhere. */
  requestId?: string;
  copies?: readonly ErasureDeliveryRow[];
}

/** One delete's own steps; `runDelete` puts them in order. */
export interface DeleteSteps<T, R> {
  /** Reads and locks the target; throws NotFoundError when it is not there. */
  find(trx: Db): Promise<T>;
  /** The version `expected` must match (VERSION_MISMATCH names the resource). */
  version?: { expected: number | null | undefined; resource: string; of(target: T): number };
  /** What it erases for good, as legal holds cover it; undefined when it erases nothing (a soft delete). */
  erases?(target: T): HoldReach | undefined;
  /** The delete's own conflicts: throws ConflictError. */
  check?(trx: Db, target: T): Promise<void>;
  /**
   * What a delete that reaches copies elsewhere erases, in which flow (in each, for one that
   * erases in several); undefined when it reaches none.
   */
  copies?(target: T): CopyReach | readonly CopyReach[] | undefined;
  /**
   * Changes the rows and records the audit entry; the answer and what is left to do. With
   * `reportErased`, a delete whose reach is `reported` tells what it erased at once.
   */
  act(trx: Db, target: T, reportErased: boolean): Promise<{ result: R; after: Aftermath }>;
}

/** How a delete is asked for, beyond its own arguments. */
export interface DeleteOptions {
  /** Answer what the delete would do now, and change nothing. */
  dryRun?: boolean | null;
}

/** What every delete's answer carries, whose values a dry run sets. */
export interface DeleteAnswer {
  /** Null for a dry run, which records nothing. */
  auditEntry: AuditEntry | null;
  receiptId: string | null;
  dryRun: boolean;
}

/** A dry run's step 1 ends here: thrown to roll the transaction back, carrying its answer. */
class RolledBack {
  constructor(readonly done: unknown) {}
}

/**
 * Step 1: the transaction. Its caller runs `afterDelete` with `after` once it may, and not
 * for a dry run, whose `after` is left as the real delete's (its counts, what it would end).
 */
export async function deleteInTransaction<T, R>(
  deps: Deps,
  scope: Scope,
  steps: DeleteSteps<T, R>,
  options: DeleteOptions = {},
): Promise<{ result: R; after: Aftermath }> {
  try {
    return await deps.store.db.transaction().execute(async (trx) => {
      const target = await steps.find(trx);
      const version = steps.version;
      if (version && version.expected != null && version.expected !== version.of(target)) {
        throw versionMismatch(version.resource, version.expected, version.of(target));
      }
      const reach = steps.erases?.(target);
      if (reach) await refuseHeld(trx, scope.tenantId, reach, options.dryRun ? undefined : deps.deletions);
      await steps.check?.(trx, target);
      const copies: (CopiesToErase | undefined)[] = [];
      const reported: (CopyReach & { targets: ErasureTargetRow[] })[] = [];
      for (const reach of [steps.copies?.(target) ?? []].flat()) {
        if (!reach.reported) {
          copies.push(await copiesToErase(trx, scope.tenantId, reach.flowId, reach.erased));
          continue;
        }
        const targets = await activeTargetsOfFlow(trx, scope.tenantId, reach.flowId);
        if (targets.length > 0) reported.push({ ...reach, targets });
      }
      const done = await steps.act(trx, target, reported.length > 0);
      for (const reach of reported) copies.push(copiesOf(reach, done.after.erasedRows ?? (await readErased(trx, reach.erased))));
      if (done.after.erasure !== 'none') await redactStoredAnswers(trx, scope, done.after.at);
      const reached = copies.filter((c) => c !== undefined);
      const entries = done.after.receipt ? await writeReceipt(trx, scope, done.after.receipt, reached, done.after.at, deps.settings) : [];
      const out = { ...done, after: { ...done.after, requestId: scope.requestId, copies: entries } };
      if (options.dryRun) throw new RolledBack(out);
      return out;
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.done as { result: R; after: Aftermath };
    throw error;
  }
}

/** The answer as a dry run gives it: what the delete would do, with nothing recorded. */
export function answered<A extends DeleteAnswer>(answer: A, options: DeleteOptions): A {
  return options.dryRun ? ({ ...answer, auditEntry: null, receiptId: null, dryRun: true } as A) : answer;
}

/** Step 2, after the commit. */
export async function afterDelete(deps: Deps, after: Aftermath): Promise<void> {
  endStreams(deps, after.ended ?? [], after.at);
  for (const [kind, rows] of Object.entries(after.deleted ?? {}) as [DeletedKind, number][]) deps.deletions.deleted(kind, rows);
  for (const event of after.chatEvents ?? []) deps.live.publishChatEvent(event);
  if (after.receipt) {
    const { id, action, targetType, targetId } = after.receipt;
    deps.deletions.receipted({ receiptId: id, action, targetType, targetId, requestId: after.requestId ?? '', copies: after.copies?.length ?? 0 });
  }
  deps.outbox.deliver(after.copies ?? []);
  if (after.erasure === 'now') await deps.store.flushErasure();
}

/** Both steps, for a delete with nothing to do between them. */
export async function runDelete<T, R extends DeleteAnswer>(deps: Deps, scope: Scope, steps: DeleteSteps<T, R>, options: DeleteOptions = {}): Promise<R> {
  const { result, after } = await deleteInTransaction(deps, scope, steps, options);
  if (options.dryRun) return answered(result, options);
  await afterDelete(deps, after);
  return result;
}
