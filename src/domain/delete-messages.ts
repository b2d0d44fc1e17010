import { bumpChatVersions } from '../data/chats.repository.ts';
import { findFlows } from '../data/flows.repository.ts';
import { type MessageSelection, countSelection, deleteSelection, selectionExceeds, threadsOfSelection } from '../data/messages.repository.ts';
import type { Db } from '../data/db.ts';
import { activeStreamsOfSelection, deleteTokenEventsOfSelection } from '../data/streams.repository.ts';
import { bumpThreadVersions } from '../data/threads.repository.ts';
import { type AuditEntry, type AuditFacts, recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { type DeleteOptions, afterDelete, answered, deleteInTransaction } from './delete-pipeline.ts';
import { ERASE_INLINE_LIMIT, queueSelectionErasure } from './erasure-jobs.ts';
import { type ReceiptRequest, receiptFor } from './erasure-receipts.ts';
import { ConflictError, NotFoundError, ShuttingDownError } from './errors.ts';
import { newId } from './ids.ts';
import { requireMessageOfThread } from './messages.ts';
import { requireThread } from './threads.ts';
import { type MessageFilterInput, toSelection } from './message-filter.ts';
import { Checker } from './validation.ts';

export interface DeleteMessagesResult {
  affected: number;
  hardDelete: boolean;
  erasedEventCount: number;
  /** Null for a dry run. */
  auditEntry: AuditEntry | null;
  receiptId: string | null;
  dryRun: boolean;
}

/** Erased in the delete's own transaction, or queued (as `jobId`) for the queue to erase after. */
type Started = { erasedEventCount: number; receipt: ReceiptRequest } & ({ jobId: string } | ({ jobId: undefined } & Outcome));

/** What the delete erased, and the audit entry that counts it. */
interface Outcome {
  affected: number;
  chatIds: string[];
  auditEntry: AuditEntry;
}

/**
 * Deletes the flow's messages matching every given filter field (seed 003), or the one
 * message of `messageId` if it matches them. With hardDelete the cached stream events
 * that carried their text are erased too.
 */
export async function deleteMessages(
  deps: Deps,
  scope: Scope,
  input: {
    flowId: string;
    filter?: MessageFilterInput | null;
    hardDelete?: boolean | null;
    /** Only the message of this id, if it matches the filter (a REST route's delete of one message). */
    messageId?: string | null;
  } & DeleteOptions,
): Promise<DeleteMessagesResult> {
  const check = new Checker();
  const flowId = check.id(['flowId'], input.flowId);
  const selection = toSelection(check, flowId, input.filter, ['filter']);
  if (input.messageId != null) selection.messageId = check.id(['messageId'], input.messageId);
  check.done();
  const hardDelete = input.hardDelete ?? false;
  const now = isoNow(deps.clock);
  const { result: started, after } = await deleteInTransaction(deps, scope, {
    find: async (trx) => {
      const [flow] = await findFlows(trx, scope.tenantId, [flowId]);
      if (!flow) throw new NotFoundError('FLOW', flowId);
      return flow;
    },
    erases: () => ({ kind: 'selection', selection }),
    check: (trx) => noStreamWriting(trx, selection),
    // seed 003: hardDelete also clears the messages from third-party memory integrations.
    copies: () => (hardDelete ? { flowId, erased: { kind: 'selection', selection } } : undefined),
    act: async (trx) => {
      const started = await start(trx, scope, selection, hardDelete, now);
      const erasure = started.jobId !== undefined ? 'queued' : started.affected > 0 ? 'now' : 'none';
      return { result: started, after: { at: now, erasure, receipt: started.receipt } as const };
    },
  }, input);
  const answer = (affected: number, auditEntry: AuditEntry | null) =>
    answered({ affected, hardDelete, erasedEventCount: started.erasedEventCount, auditEntry, receiptId: started.receipt.id, dryRun: false }, input);
  if (input.dryRun) {
    // Nothing was queued: the rows a queue would have erased are counted as they stand.
    return answer(started.jobId === undefined ? started.affected : await countSelection(deps.store.db, selection), null);
  }
  const { affected, chatIds, auditEntry } = started.jobId === undefined ? started : await erasedByQueue(deps, started.jobId);
  await afterDelete(deps, {
    ...after,
    deleted: { message: affected, stream_event: started.erasedEventCount },
    chatEvents: chatIds.map((chatId) => ({ type: 'MESSAGES_DELETED', chatId, threadId: null, messageId: null, streamId: null, at: now })),
  });
  return answer(affected, auditEntry);
}

/**
 * Deletes one message of a thread, as deleteMessages deletes (holds, receipts, audit).
 * A thread or message that is not there (or not the thread's) is a NotFoundError.
 */
export async function deleteMessageOfThread(
  deps: Deps,
  scope: Scope,
  input: { threadId: string; messageId: string; hardDelete?: boolean | null },
): Promise<DeleteMessagesResult> {
  const check = new Checker();
  const threadId = check.id(['threadId'], input.threadId);
  const messageId = check.id(['messageId'], input.messageId);
  check.done();
  const thread = await requireThread(deps, scope, threadId);
  await requireMessageOfThread(deps, scope, threadId, messageId);
  const result = await deleteMessages(deps, scope, { flowId: thread.flowId, filter: { threadId }, messageId, hardDelete: input.hardDelete });
  // Deleted by another request since it was read: gone, as a repeat finds it.
  if (result.affected === 0) throw new NotFoundError('MESSAGE', messageId);
  return result;
}

/** A stream still writing to a matched message's thread would add to what is being erased. */
export async function noStreamWriting(trx: Db, selection: MessageSelection): Promise<void> {
  const writing = await activeStreamsOfSelection(trx, selection);
  if (writing.length === 0) return;
  const threads = new Set(writing.map((s) => s.thread_id)).size;
  throw new ConflictError(
    'ACTIVE_STREAM',
    `A stream is still writing to ${threads === 1 ? 'a thread' : `${threads} threads`} of these messages; cancel it or retry when it finishes`,
  );
}

/** Erases a small selection with its audit entry, or queues a large one. */
async function start(trx: Db, scope: Scope, selection: MessageSelection, hardDelete: boolean, now: string): Promise<Started> {
  const flowId = selection.flowId;
  const erasedEventCount = hardDelete ? await deleteTokenEventsOfSelection(trx, selection) : 0;
  const { flowId: _flow, ...filterGiven } = selection;
  const facts = (affected: number): AuditFacts & { id: string } => ({
    id: newId(),
    action: 'messages.delete',
    targetType: 'FLOW',
    targetId: flowId,
    details: { affected, hardDelete, erasedEventCount, filter: filterGiven },
  });
  if (await selectionExceeds(trx, selection, ERASE_INLINE_LIMIT)) {
    const pending = facts(0);
    const jobId = await queueSelectionErasure(trx, { scope, selection, facts: pending, countedAs: 'affected', at: now });
    return { erasedEventCount, jobId, receipt: receiptFor(pending, { messages: 0, streamEvents: erasedEventCount }, { erasureJobId: jobId }) };
  }
  const touched = await threadsOfSelection(trx, selection);
  const chatIds = [...new Set(touched.map((t) => t.chat_id))];
  const affected = await deleteSelection(trx, selection);
  await bumpThreadVersions(trx, [...new Set(touched.map((t) => t.thread_id))], now);
  await bumpChatVersions(trx, chatIds, now);
  const auditEntry = await recordAudit(trx, scope, facts(affected), now);
  const receipt = receiptFor(auditEntry, { messages: affected, streamEvents: erasedEventCount });
  return { erasedEventCount, jobId: undefined, affected, chatIds, auditEntry, receipt };
}

/**
 * Waits for the queue, which yields between chunks: other requests go on. The count is
 * exact, the rows the chunks erased, and the audit entry the queue recorded carries it.
 */
async function erasedByQueue(deps: Deps, jobId: string): Promise<Outcome> {
  const erased = await deps.erasureJobs.whenDone(jobId);
  // Stopped half-way by a shutdown: no count is final yet, so none is claimed.
  if (!erased.auditEntry) {
    throw new ShuttingDownError('The server is shutting down; this erasure goes on at its next start and is audited then');
  }
  return { affected: erased.messages, chatIds: erased.chatIds, auditEntry: erased.auditEntry };
}
