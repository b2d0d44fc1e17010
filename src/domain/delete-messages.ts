import { bumpChatVersions } from '../data/chats.repository.ts';
import { findFlows } from '../data/flows.repository.ts';
import { insertErasureJob } from '../data/erasure.repository.ts';
import { deleteSelection, selectionExceeds, threadsOfSelection } from '../data/messages.repository.ts';
import { activeStreamsOfSelection, deleteTokenEventsOfSelection } from '../data/streams.repository.ts';
import { bumpThreadVersions } from '../data/threads.repository.ts';
import { type AuditEntry, recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps, Scope } from './deps.ts';
import { ERASE_INLINE_LIMIT, type QueuedSelection } from './eraser.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import { type MessageFilterInput, toSelection } from './message-filter.ts';
import { Checker } from './validation.ts';

export interface DeleteMessagesResult {
  affected: number;
  hardDelete: boolean;
  erasedEventCount: number;
  auditEntry: AuditEntry;
}

/**
 * Deletes the flow's messages matching every given filter field (seed 003). With
 * hardDelete the cached stream events that carried their text are erased too.
 */
export async function deleteMessages(
  deps: Deps,
  scope: Scope,
  input: { flowId: string; filter?: MessageFilterInput | null; hardDelete?: boolean | null },
): Promise<DeleteMessagesResult> {
  const check = new Checker();
  const flowId = check.id(['flowId'], input.flowId);
  const selection = toSelection(check, flowId, input.filter, ['filter']);
  check.done();
  const hardDelete = input.hardDelete ?? false;
  const now = isoNow(deps.clock);
  const { result, jobId, chatIds: erasedInline } = await deps.store.db.transaction().execute(async (trx) => {
    const [flow] = await findFlows(trx, scope.tenantId, [flowId]);
    if (!flow) throw new NotFoundError('FLOW', flowId);
    const writing = await activeStreamsOfSelection(trx, selection);
    if (writing.length > 0) {
      const threads = new Set(writing.map((s) => s.thread_id)).size;
      throw new ConflictError(
        'ACTIVE_STREAM',
        `A stream is still writing to ${threads === 1 ? 'a thread' : `${threads} threads`} of these messages; cancel it or retry when it finishes`,
      );
    }
    const erasedEventCount = hardDelete ? await deleteTokenEventsOfSelection(trx, selection) : 0;
    // A large selection is erased by the queue in bounded chunks, up to an id taken now:
    // ids grow with time, so messages posted meanwhile are never swept up. The queue bumps
    // the versions of the threads and chats as it goes.
    const large = await selectionExceeds(trx, selection, ERASE_INLINE_LIMIT);
    const job = large ? { id: newId(), upToId: newId() } : undefined;
    let chatIds: string[] = [];
    let affected = 0;
    if (job) {
      const queued: QueuedSelection = { selection, upToId: job.upToId };
      await insertErasureJob(trx, {
        id: job.id,
        tenant_id: scope.tenantId,
        kind: 'messages',
        target_id: flowId,
        selection: JSON.stringify(queued),
        total: 0,
        done: 0,
        created_at: now,
        finished_at: null,
        pending_audit: null,
      });
    } else {
      const touched = await threadsOfSelection(trx, selection);
      chatIds = [...new Set(touched.map((t) => t.chat_id))];
      affected = await deleteSelection(trx, selection);
      await bumpThreadVersions(trx, [...new Set(touched.map((t) => t.thread_id))], now);
      await bumpChatVersions(trx, chatIds, now);
    }
    const { flowId: _flow, ...filterGiven } = selection;
    const auditEntry = await recordAudit(
      trx,
      scope,
      { action: 'messages.delete', targetType: 'FLOW', targetId: flowId, details: { affected, hardDelete, erasedEventCount, filter: filterGiven } },
      now,
    );
    return { result: { affected, hardDelete, erasedEventCount, auditEntry }, chatIds, jobId: job?.id };
  });
  // The answer waits for the erasure, which yields between chunks: other requests go on.
  // Its count is exact: the rows the chunks erased.
  let chatIds = erasedInline;
  if (jobId) {
    const erased = await deps.erasure.whenDone(jobId);
    result.affected = erased.messages;
    chatIds = erased.chatIds;
  }
  deps.deletions.deleted('message', result.affected);
  deps.deletions.deleted('stream_event', result.erasedEventCount);
  for (const chatId of chatIds) {
    deps.live.publishChatEvent({ type: 'MESSAGES_DELETED', chatId, threadId: null, messageId: null, streamId: null, at: now });
  }
  if (result.affected > 0 && !jobId) await deps.store.flushErasure();
  return result;
}
