import { deleteChatRow, findChats, markChatDeleted } from '../data/chats.repository.ts';
import { insertErasureJob } from '../data/erasure.repository.ts';
import { countMessagesOfChat } from '../data/messages.repository.ts';
import { activeStreamsOfChat, lastEventSeq } from '../data/streams.repository.ts';
import { countThreadsOfChat, lockThreadsOfChat, markThreadsOfChatErasing } from '../data/threads.repository.ts';
import { type AuditEntry, recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps, Scope } from './deps.ts';
import { ERASE_INLINE_LIMIT } from './eraser.ts';
import { ConflictError, NotFoundError, versionMismatch } from './errors.ts';
import { newId } from './ids.ts';
import { type EndedStream, endStreams } from './publish-after-delete.ts';
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
 * Erases the chat with its threads (soft-deleted ones too), messages, streams and
 * events in one transaction. Live subscribers block it unless `force`, which ends them.
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
  const { result, ended, queued } = await deps.store.db.transaction().execute(async (trx) => {
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
    await lockThreadsOfChat(trx, id);
    const deletedThreadCount = await countThreadsOfChat(trx, id);
    // Cascaded rows are not in SQLite's change count, so they are counted first.
    const deletedMessageCount = await countMessagesOfChat(trx, id);
    const ended: EndedStream[] = [];
    for (const stream of await activeStreamsOfChat(trx, id)) {
      const cancelled = await cancelInTransaction(trx, stream.id, now);
      ended.push({ stream, cancelled, removedAfterSeq: await lastEventSeq(trx, stream.id) });
    }
    // A large chat vanishes from reads now and is erased by the queue in bounded chunks.
    const queued = deletedMessageCount > ERASE_INLINE_LIMIT;
    const erasureJobId = queued ? newId() : null;
    if (erasureJobId) {
      await markChatDeleted(trx, id, now);
      await markThreadsOfChatErasing(trx, id, now, scope.actor);
      await insertErasureJob(trx, {
        id: erasureJobId,
        tenant_id: scope.tenantId,
        kind: 'chat',
        target_id: id,
        selection: null,
        total: deletedMessageCount,
        done: 0,
        created_at: now,
        finished_at: null,
      });
    } else {
      await deleteChatRow(trx, id);
    }
    const cancelledStreamCount = ended.filter((e) => e.cancelled).length;
    const closedConnections = connections;
    const auditEntry = await recordAudit(
      trx,
      scope,
      {
        action: 'chat.delete',
        targetType: 'CHAT',
        targetId: id,
        details: {
          force: input.force ?? false,
          deletedThreadCount,
          deletedMessageCount,
          cancelledStreamCount,
          closedConnections,
          erasure: queued ? 'queued' : 'done',
          ...(erasureJobId && { erasureJobId }),
        },
      },
      now,
    );
    return {
      ended,
      queued,
      result: {
        chatId: id,
        deletedAt: now,
        deletedThreadCount,
        deletedMessageCount,
        cancelledStreamCount,
        closedConnections,
        erasureJobId,
        auditEntry,
      },
    };
  });
  endStreams(deps, ended, now);
  deps.deletions.deleted('chat', 1);
  deps.deletions.deleted('thread', result.deletedThreadCount);
  deps.deletions.deleted('message', result.deletedMessageCount);
  // Every chatEvents subscription ends after this event.
  deps.live.publishChatEvent({ type: 'CHAT_DELETED', chatId: id, threadId: null, messageId: null, streamId: null, at: now });
  if (queued) deps.erasure.kick();
  else await deps.store.flushErasure();
  return result;
}
