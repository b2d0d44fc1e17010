import { deleteChatRow, findChats, markChatDeleted } from '../data/chats.repository.ts';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { countChatMessagesStep, countMessagesOfChatUpTo } from '../data/messages.repository.ts';
import type { Db } from '../data/db.ts';
import type { ErasureDeliveryRow } from '../data/tables.ts';
import { countStreamsOf, eraseMessagesOfChat } from '../data/erased-rows.repository.ts';
import { activeStreamsOfChat, lastEventSeq } from '../data/streams.repository.ts';
import { lockThreadsOfChat, markThreadsOfChatErasing } from '../data/threads.repository.ts';
import { type AuditEntry, type AuditFacts, auditEntryOf, auditRow, recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import { MESSAGE_IDS_LIMIT } from './copy-erasure.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { type Aftermath, type DeleteOptions, afterDelete, answered, deleteInTransaction } from './delete-pipeline.ts';
import { leaseFrom } from './erasure-outbox.ts';
import { receiptFor } from './erasure-receipts.ts';
import { ERASE_INLINE_LIMIT, queueChatErasure, recordCountedChat } from './erasure-jobs.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import type { EndedStream } from './publish-after-delete.ts';
import { cancelInTransaction } from './stream-events.ts';
import { Checker } from './validation.ts';

export interface DeleteChatResult {
  chatId: string;
  deletedAt: string;
  deletedThreadCount: number;
  deletedMessageCount: number;
  cancelledStreamCount: number;
  closedConnections: number;
  /** The background erasure of a large chat (deletionJob), or null when it was erased at once. */
  erasureJobId: string | null;
  /** Null for a dry run. */
  auditEntry: AuditEntry | null;
  /** The proof of this erasure, here and in the copies elsewhere; null for a dry run. */
  receiptId: string | null;
  dryRun: boolean;
}

/**
 * Erases the chat with its threads (soft-deleted ones too), messages, streams and events:
 * at once when small, through the erasure queue when large (docs/design.md#large-deletes).
 * Live subscribers block it unless `force`, which ends them.
 */
export async function deleteChat(
  deps: Deps,
  scope: Scope,
  input: { id: string; expectedVersion?: number | null; force?: boolean | null } & DeleteOptions,
): Promise<DeleteChatResult> {
  const check = new Checker();
  const id = check.id(['id'], input.id);
  check.done();
  const now = isoNow(deps.clock);
  // A dry run takes the general path, whose transaction can be rolled back.
  const erased = input.dryRun ? undefined : await deleteAtOnce(deps, scope, { ...input, id }, now);
  if (erased) {
    // The statement wrote this receipt; here it is only told of.
    const { result, copies, auditEntry, receiptId } = erased;
    const receipt = receiptFor(auditEntry, {}, { id: receiptId });
    await afterDelete(deps, { ...aftermath(result, [], 'now'), receipt, requestId: scope.requestId, copies });
    return result;
  }
  // Taken now and held, so the queue cannot start erasing what is still to be counted.
  const jobId = newId();
  deps.erasureJobs.hold(jobId);
  let queued = false;
  let connections = 0;
  try {
    const { result: hidden, after } = await deleteInTransaction(deps, scope, {
      find: async (trx) => {
        const [chat] = await findChats(trx, scope.tenantId, [id], true);
        if (!chat) throw new NotFoundError('CHAT', id);
        return chat;
      },
      version: { expected: input.expectedVersion, resource: 'Chat', of: (chat) => chat.version },
      erases: () => ({ kind: 'chat', chatId: id }),
      check: async () => {
        connections = await deps.live.activeConnections(id);
        if (connections > 0 && !input.force) {
          throw new ConflictError(
            'ACTIVE_CONNECTIONS',
            `Chat has ${connections} active connection(s); retry when they have closed, or force the delete to end them`,
            { activeConnections: connections },
          );
        }
      },
      copies: (chat) => ({ flowId: chat.flow_id, erased: { kind: 'chat', chatId: id }, reported: true }),
      act: (trx, _chat, reportErased) => hide(trx, scope, { id, force: input.force ?? false, connections, reportErased }, now, jobId),
    }, input);
    if (input.dryRun) return answered(hidden.queued ? { ...hidden.result, erasureJobId: null, deletedMessageCount: await countGently(deps.store.db, id), auditEntry: null } : hidden.result, input);
    queued = hidden.queued;
    const result = hidden.queued ? await countHidden(deps, scope, hidden, jobId) : hidden.result;
    await afterDelete(deps, { ...aftermath(result, after.ended ?? [], after.erasure), receipt: after.receipt, requestId: after.requestId, copies: after.copies });
    return result;
  } finally {
    deps.erasureJobs.release(jobId);
    // Also when counting failed: the queue then records the audit entry itself.
    if (queued) deps.erasureJobs.kick();
  }
}

/**
 * The common case, a small chat nobody watches or streams to, in one statement where the
 * engine can (one round trip where the general path takes nine; bench/RESULTS.md), its
 * outbox entries for the copies elsewhere included (`copies`, for the outbox to deliver);
 * undefined when the general path must decide.
 */
async function deleteAtOnce(
  deps: Deps,
  scope: Scope,
  input: { id: string; expectedVersion?: number | null; force?: boolean | null },
  now: string,
): Promise<{ result: DeleteChatResult; copies: ErasureDeliveryRow[]; auditEntry: AuditEntry; receiptId: string } | undefined> {
  const { deleteChatAtOnce } = deps.store;
  if (!deleteChatAtOnce || (await deps.live.activeConnections(input.id)) > 0) return undefined;
  const details = { force: input.force ?? false, cancelledStreamCount: 0, closedConnections: 0, erasure: 'done' };
  const receiptId = newId();
  const erased = await deleteChatAtOnce({
    receiptId,
    tenantId: scope.tenantId,
    chatId: input.id,
    expectedVersion: input.expectedVersion ?? null,
    maxMessages: ERASE_INLINE_LIMIT,
    audit: auditRow(scope, { action: 'chat.delete', targetType: 'CHAT', targetId: input.id, details }, now),
    // As writeReceipt sets them on the general path.
    deadlineAt: new Date(Date.parse(now) + deps.settings.erasureRetryMs).toISOString(),
    leasedUntil: leaseFrom(now),
  });
  if (!erased) return undefined;
  const auditEntry = auditEntryOf(erased.audit);
  const result: DeleteChatResult = {
    chatId: input.id,
    deletedAt: now,
    deletedThreadCount: erased.threads,
    deletedMessageCount: erased.messages,
    cancelledStreamCount: 0,
    closedConnections: 0,
    erasureJobId: null,
    auditEntry,
    receiptId,
    dryRun: false,
  };
  return { result, copies: erased.copies, auditEntry, receiptId };
}

/** A small chat, erased; or a large one, hidden and queued, whose messages are still to be counted. */
type Hidden =
  | { queued: false; result: DeleteChatResult }
  | { queued: true; result: Omit<DeleteChatResult, 'auditEntry'>; facts: AuditFacts & { id: string } };

/**
 * Inside the delete's transaction, the chat found, locked and free to go: erases a small
 * chat outright; hides a large one from every read (its erasure queued as `jobId`),
 * leaving its messages to be counted and erased after.
 */
async function hide(
  trx: Db,
  scope: Scope,
  input: { id: string; force: boolean; connections: number; reportErased: boolean },
  now: string,
  jobId: string,
): Promise<{ result: Hidden; after: Aftermath }> {
  const { id, connections } = input;
  const threadIds = await lockThreadsOfChat(trx, id);
  const deletedThreadCount = threadIds.length;
  const ended: EndedStream[] = [];
  for (const stream of await activeStreamsOfChat(trx, id)) {
    const cancelled = await cancelInTransaction(trx, stream.id, now);
    ended.push({ stream, cancelled, removedAfterSeq: await lastEventSeq(trx, stream.id) });
  }
  // A large chat vanishes from reads now and is erased by the queue in bounded chunks.
  // Its messages are counted after this transaction: counting a million rows here
  // would hold every other request (and the chat's disappearance) for as long.
  // Cascaded rows are not in SQLite's change count, so they are counted first.
  const counted = await countMessagesOfChatUpTo(trx, id, ERASE_INLINE_LIMIT);
  const queued = counted > ERASE_INLINE_LIMIT;
  const deletedMessageCount = queued ? 0 : counted;
  const cancelledStreamCount = ended.filter((e) => e.cancelled).length;
  const streams = await countStreamsOf(trx, { chatId: id });
  const facts: AuditFacts & { id: string } = {
    id: newId(),
    action: 'chat.delete',
    targetType: 'CHAT',
    targetId: id,
    details: {
      force: input.force,
      deletedThreadCount,
      deletedMessageCount,
      cancelledStreamCount,
      closedConnections: connections,
      erasure: queued ? 'queued' : 'done',
      ...(queued && { erasureJobId: jobId }),
    },
  };
  const counts = {
    chatId: id,
    deletedAt: now,
    deletedThreadCount,
    deletedMessageCount,
    cancelledStreamCount,
    closedConnections: connections,
    erasureJobId: queued ? jobId : null,
    dryRun: false,
  };
  const receipt = receiptFor(facts, { chats: 1, threads: deletedThreadCount, messages: deletedMessageCount, ...streams }, { erasureJobId: queued ? jobId : undefined });
  if (queued) {
    // Recorded once counted: by this request, or by the queue should the request die first.
    await markChatDeleted(trx, id, now);
    await markThreadsOfChatErasing(trx, id, now, scope.actor);
    await queueChatErasure(trx, { id: jobId, scope, chatId: id, facts, at: now });
    const result = { ...counts, receiptId: receipt.id };
    return { result: { queued, facts, result }, after: { ...aftermath(result, ended, 'queued'), receipt } };
  }
  // Its messages first when copies elsewhere need their ids, which the delete reads anyway.
  const erasedRows = input.reportErased ? await eraseMessagesOfChat(trx, id, threadIds, MESSAGE_IDS_LIMIT) : undefined;
  await deleteChatRow(trx, id);
  const result = { ...counts, receiptId: receipt.id, auditEntry: await recordAudit(trx, scope, facts, now) };
  return { result: { queued, result }, after: { ...aftermath(result, ended, 'now'), receipt, erasedRows } };
}

/** Counts the hidden chat's messages, then records its audit entry and its job's total. */
async function countHidden(
  deps: Deps,
  scope: Scope,
  hidden: Extract<Hidden, { queued: true }>,
  jobId: string,
): Promise<DeleteChatResult> {
  const deletedMessageCount = await countGently(deps.store.db, hidden.result.chatId);
  const facts = { ...hidden.facts, details: { ...hidden.facts.details, deletedMessageCount } };
  const auditEntry = await recordCountedChat(deps.store.db, { id: jobId, scope, facts, at: hidden.result.deletedAt, messages: deletedMessageCount });
  return { ...hidden.result, deletedMessageCount, auditEntry };
}

/** Counts a hidden chat's messages in steps, yielding between them: no step holds the event loop long. */
async function countGently(db: Db, chatId: string): Promise<number> {
  let total = 0;
  let from: string | null = null;
  do {
    const step = await countChatMessagesStep(db, chatId, from, COUNT_STEP);
    total += step.counted;
    from = step.next;
    await yieldToEventLoop();
  } while (from !== null);
  return total;
}

/** Rows one counting step reads (a few milliseconds of index walk). */
const COUNT_STEP = 20_000;

/** The chat's rows for the metrics, its streams ended, and every chatEvents subscription ended after CHAT_DELETED. */
function aftermath(
  counts: Pick<DeleteChatResult, 'chatId' | 'deletedAt' | 'deletedThreadCount' | 'deletedMessageCount'>,
  ended: readonly EndedStream[],
  erasure: Aftermath['erasure'],
): Aftermath {
  return {
    at: counts.deletedAt,
    ended,
    deleted: { chat: 1, thread: counts.deletedThreadCount, message: counts.deletedMessageCount },
    chatEvents: [{ type: 'CHAT_DELETED', chatId: counts.chatId, threadId: null, messageId: null, streamId: null, at: counts.deletedAt }],
    erasure,
  };
}
