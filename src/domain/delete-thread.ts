import { performance } from 'node:perf_hooks';
import { bumpChatVersions } from '../data/chats.repository.ts';
import { countMessagesByThread } from '../data/messages.repository.ts';
import type { Db } from '../data/db.ts';
import type { ChatEvent } from '../live/events.ts';
import { countStreamsOf } from '../data/erased-rows.repository.ts';
import { activeStreamsOfThreads, lastEventSeq } from '../data/streams.repository.ts';
import { deleteThreadRow, findThreads, markThreadDeleted } from '../data/threads.repository.ts';
import { type AuditEntry, recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { type DeleteOptions, runDelete } from './delete-pipeline.ts';
import { receiptFor } from './erasure-receipts.ts';
import { NotFoundError } from './errors.ts';
import type { EndedStream } from './publish-after-delete.ts';
import { cancelInTransaction } from './stream-events.ts';
import { type Thread, threadOf } from './threads.ts';
import { Checker } from './validation.ts';

export interface DeleteThreadResult {
  thread: Thread;
  /**
   * The thread's title, echoed by a soft delete only: a permanent delete's answer may be
   * kept for an Idempotency-Key retry, and must not keep what it erased.
   */
  threadTitle: string | null;
  deletedMessageCount: number;
  cancelledStreamCount: number;
  deletedAt: string;
  deletedBy: string;
  permanent: boolean;
  restoreUntil: string | null;
  requestId: string;
  operationDurationMs: number;
  /** Null for a dry run. */
  auditEntry: AuditEntry | null;
  /** A permanent delete's proof of erasure; null for a soft delete, which can be undone, and a dry run. */
  receiptId: string | null;
  dryRun: boolean;
}

/**
 * Soft by default: the thread and its messages vanish from reads and can be restored
 * until `restoreUntil`. Permanent erases at once, also an already soft-deleted thread.
 */
export async function deleteThread(
  deps: Deps,
  scope: Scope,
  input: { id: string; permanent?: boolean | null; expectedVersion?: number | null } & DeleteOptions,
): Promise<DeleteThreadResult> {
  const started = performance.now();
  const check = new Checker();
  const id = check.id(['id'], input.id);
  check.done();
  const permanent = input.permanent ?? false;
  const now = isoNow(deps.clock);
  const result = await runDelete(deps, scope, {
    find: async (trx) => {
      const [thread] = await findThreads(trx, scope.tenantId, [id], true);
      if (!thread || (thread.deleted_at !== null && !permanent)) throw new NotFoundError('THREAD', id);
      return thread;
    },
    version: { expected: input.expectedVersion, resource: 'Thread', of: (thread) => thread.version },
    // A soft delete erases nothing (it can be undone), so a hold lets it through.
    erases: (thread) => (permanent ? { kind: 'thread', threadId: id, chatId: thread.chat_id } : undefined),
    copies: (thread) => (permanent ? { flowId: thread.flow_id, erased: { kind: 'thread', threadId: id, chatId: thread.chat_id } } : undefined),
    act: async (trx, thread) => {
      const deletedMessageCount = (await countMessagesByThread(trx, [id])).get(id) ?? 0;
      const streams = permanent ? await countStreamsOf(trx, { threadId: id }) : undefined;
      const ended = await cancelThreadStreams(trx, id, permanent, now);
      const restoreUntil = permanent ? null : new Date(Date.parse(now) + deps.settings.restoreWindowMs).toISOString();
      if (permanent) await deleteThreadRow(trx, id);
      else await markThreadDeleted(trx, id, { deletedAt: now, restoreUntil: restoreUntil!, deletedBy: scope.actor });
      await bumpChatVersions(trx, [thread.chat_id], now);
      const cancelledStreamCount = ended.filter((e) => e.cancelled).length;
      const auditEntry = await recordAudit(
        trx,
        scope,
        {
          action: 'thread.delete',
          targetType: 'THREAD',
          targetId: id,
          details: { permanent, wasSoftDeleted: thread.deleted_at !== null, deletedMessageCount, cancelledStreamCount },
        },
        now,
      );
      // A thread already soft-deleted vanished from its chat then; its subscribers heard of it.
      const chatEvents: ChatEvent[] =
        thread.deleted_at === null ? [{ type: 'THREAD_DELETED', chatId: thread.chat_id, threadId: id, messageId: null, streamId: null, at: now }] : [];
      const receipt = streams && receiptFor(auditEntry, { threads: 1, messages: deletedMessageCount, ...streams });
      return {
        result: {
          receiptId: receipt?.id ?? null,
          thread: threadOf(thread),
          threadTitle: permanent ? null : thread.title,
          deletedMessageCount,
          cancelledStreamCount,
          deletedAt: now,
          deletedBy: scope.actor,
          permanent,
          restoreUntil,
          requestId: scope.requestId,
          operationDurationMs: 0,
          auditEntry,
          dryRun: false,
        },
        after: {
          at: now,
          ended,
          deleted: permanent ? { thread: 1, message: deletedMessageCount } : { thread_soft: 1 },
          chatEvents,
          // A soft delete can be undone: its rows, and the stored answers that showed them, stay.
          erasure: permanent ? 'now' : 'none',
          receipt,
        },
      };
    },
  }, input);
  return { ...result, operationDurationMs: performance.now() - started };
}

/** Cancels the thread's active streams; when it is erased, every stream goes with it. */
async function cancelThreadStreams(trx: Db, threadId: string, permanent: boolean, now: string): Promise<EndedStream[]> {
  const active = await activeStreamsOfThreads(trx, [threadId]);
  const ended: EndedStream[] = [];
  for (const stream of active) {
    const cancelled = await cancelInTransaction(trx, stream.id, now);
    ended.push({ stream, cancelled, removedAfterSeq: permanent ? await lastEventSeq(trx, stream.id) : undefined });
  }
  return ended;
}
