import { deleteChatRow, findChats, markChatDeleted } from '../data/chats.repository.ts';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { insertErasureJob, setErasureTotal } from '../data/erasure.repository.ts';
import { countChatMessagesStep, countMessagesOfChatUpTo } from '../data/messages.repository.ts';
import type { Db } from '../data/db.ts';
import { activeStreamsOfChat, lastEventSeq } from '../data/streams.repository.ts';
import { lockAndCountThreadsOfChat, markThreadsOfChatErasing } from '../data/threads.repository.ts';
import { type AuditEntry, type AuditFacts, auditRow, pendingAudit, recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { ERASE_INLINE_LIMIT } from './eraser.ts';
import { ConflictError, NotFoundError, versionMismatch } from './errors.ts';
import { newId } from './ids.ts';
import { type EndedStream, endStreams } from './publish-after-delete.ts';
import { redactStoredAnswers } from './redact-stored-answers.ts';
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
  auditEntry: AuditEntry;
}

/**
 * Erases the chat with its threads (soft-deleted ones too), messages, streams and events:
 * at once when small, through the erasure queue when large (DESIGN.md "Large deletes").
 * Live subscribers block it unless `force`, which ends them.
 */
export async function deleteChat(
  deps: Deps,
  scope: Scope,
  input: { id: string; expectedVersion?: number | null; force?: boolean | null },
): Promise<DeleteChatResult> {
  const check = new Checker();
  const id = check.id(['id'], input.id);
  check.done();
  const now = isoNow(deps.clock);
  const erased = await deleteAtOnce(deps, scope, { ...input, id }, now);
  if (erased) {
    announce(deps, erased, []);
    await deps.store.flushErasure();
    return erased;
  }
  // Taken now and held, so the queue cannot start erasing what is still to be counted.
  const jobId = newId();
  deps.erasure.hold(jobId);
  let queued = false;
  try {
    const hidden = await hide(deps, scope, { ...input, id }, now, jobId);
    queued = hidden.queued;
    const result = hidden.queued ? await countHidden(deps, scope, hidden, jobId) : hidden.result;
    announce(deps, result, hidden.ended);
    if (!hidden.queued) await deps.store.flushErasure();
    return result;
  } finally {
    deps.erasure.release(jobId);
    // Also when counting failed: the queue then records the audit entry itself.
    if (queued) deps.erasure.kick();
  }
}

/**
 * The common case, a small chat nobody watches or streams to, in one statement where the
 * engine can (one round trip where the general path takes nine; bench/RESULTS.md);
 * undefined when the general path must decide.
 */
async function deleteAtOnce(
  deps: Deps,
  scope: Scope,
  input: { id: string; expectedVersion?: number | null; force?: boolean | null },
  now: string,
): Promise<DeleteChatResult | undefined> {
  const { deleteChatAtOnce } = deps.store;
  if (!deleteChatAtOnce || (await deps.live.activeConnections(input.id)) > 0) return undefined;
  const details = { force: input.force ?? false, cancelledStreamCount: 0, closedConnections: 0, erasure: 'done' };
  const erased = await deleteChatAtOnce({
    tenantId: scope.tenantId,
    chatId: input.id,
    expectedVersion: input.expectedVersion ?? null,
    maxMessages: ERASE_INLINE_LIMIT,
    audit: auditRow(scope, { action: 'chat.delete', targetType: 'CHAT', targetId: input.id, details }, now),
  });
  if (!erased) return undefined;
  return {
    chatId: input.id,
    deletedAt: now,
    deletedThreadCount: erased.threads,
    deletedMessageCount: erased.messages,
    cancelledStreamCount: 0,
    closedConnections: 0,
    erasureJobId: null,
    auditEntry: erased.audit,
  };
}

/** A small chat, erased; or a large one, hidden and queued, whose messages are still to be counted. */
type Hidden = { ended: EndedStream[] } & (
  | { queued: false; result: DeleteChatResult }
  | { queued: true; result: Omit<DeleteChatResult, 'auditEntry'>; facts: AuditFacts }
);

/**
 * The one transaction: erases a small chat outright; hides a large one from every read
 * (its erasure queued as `jobId`), leaving its messages to be counted and erased after.
 */
async function hide(
  deps: Deps,
  scope: Scope,
  input: { id: string; expectedVersion?: number | null; force?: boolean | null },
  now: string,
  jobId: string,
): Promise<Hidden> {
  const id = input.id;
  return deps.store.db.transaction().execute(async (trx) => {
    const [chat] = await findChats(trx, scope.tenantId, [id], true);
    if (!chat) throw new NotFoundError('CHAT', id);
    if (input.expectedVersion != null && input.expectedVersion !== chat.version)
      throw versionMismatch('Chat', input.expectedVersion, chat.version);
    const connections = await deps.live.activeConnections(id);
    if (connections > 0 && !input.force) {
      throw new ConflictError(
        'ACTIVE_CONNECTIONS',
        `Chat has ${connections} active connection(s); retry when they have closed, or force the delete to end them`,
        { activeConnections: connections },
      );
    }
    const deletedThreadCount = await lockAndCountThreadsOfChat(trx, id);
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
    const facts: AuditFacts = {
      action: 'chat.delete',
      targetType: 'CHAT',
      targetId: id,
      details: {
        force: input.force ?? false,
        deletedThreadCount,
        deletedMessageCount,
        cancelledStreamCount,
        closedConnections: connections,
        erasure: queued ? 'queued' : 'done',
        ...(queued && { erasureJobId: jobId }),
      },
    };
    if (queued) {
      await markChatDeleted(trx, id, now);
      await markThreadsOfChatErasing(trx, id, now, scope.actor);
      await insertErasureJob(trx, {
        id: jobId,
        tenant_id: scope.tenantId,
        kind: 'chat',
        target_id: id,
        selection: null,
        total: 0,
        done: 0,
        created_at: now,
        finished_at: null,
        // Recorded once counted: by this request, or by the queue should the request die first.
        pending_audit: pendingAudit(scope, facts, now, 'deletedMessageCount'),
      });
    } else {
      await deleteChatRow(trx, id);
    }
    // A queued chat is hidden from every read from here on, so no answer stored later shows it.
    await redactStoredAnswers(trx, scope, now);
    const result = {
      chatId: id,
      deletedAt: now,
      deletedThreadCount,
      deletedMessageCount,
      cancelledStreamCount,
      closedConnections: connections,
      erasureJobId: queued ? jobId : null,
    };
    if (queued) return { ended, queued, facts, result };
    return { ended, queued, result: { ...result, auditEntry: await recordAudit(trx, scope, facts, now) } };
  });
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
  const auditEntry = await deps.store.db.transaction().execute(async (trx) => {
    await setErasureTotal(trx, jobId, deletedMessageCount);
    return recordAudit(trx, scope, facts, hidden.result.deletedAt);
  });
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

function announce(deps: Deps, result: DeleteChatResult, ended: EndedStream[]): void {
  endStreams(deps, ended, result.deletedAt);
  deps.deletions.deleted('chat', 1);
  deps.deletions.deleted('thread', result.deletedThreadCount);
  deps.deletions.deleted('message', result.deletedMessageCount);
  // Every chatEvents subscription ends after this event.
  deps.live.publishChatEvent({ type: 'CHAT_DELETED', chatId: result.chatId, threadId: null, messageId: null, streamId: null, at: result.deletedAt });
}
