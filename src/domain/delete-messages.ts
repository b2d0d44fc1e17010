import { bumpChatVersions } from '../data/chats.repository.ts';
import { findFlows } from '../data/flows.repository.ts';
import { insertErasureJob } from '../data/erasure.repository.ts';
import { type MessageSelection, deleteSelection, selectionExceeds, threadsOfSelection } from '../data/messages.repository.ts';
import type { Db } from '../data/db.ts';
import { activeStreamsOfSelection, deleteTokenEventsOfSelection } from '../data/streams.repository.ts';
import { bumpThreadVersions } from '../data/threads.repository.ts';
import { type AuditEntry, type AuditFacts, pendingAudit, recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { ERASE_INLINE_LIMIT, type QueuedSelection } from './eraser.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import { type MessageFilterInput, toSelection } from './message-filter.ts';
import { redactStoredAnswers } from './redact-stored-answers.ts';
import { Checker } from './validation.ts';

export interface DeleteMessagesResult {
  affected: number;
  hardDelete: boolean;
  erasedEventCount: number;
  auditEntry: AuditEntry;
}

/** Erased in the delete's own transaction, or by the queue (as `jobId`) once it committed. */
type Started = { erasedEventCount: number } & ({ jobId: string } | ({ jobId: undefined } & Outcome));

/** What the delete erased, and the audit entry that counts it. */
interface Outcome {
  affected: number;
  chatIds: string[];
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
  const started = await deps.store.db.transaction().execute((trx) => start(trx, scope, selection, hardDelete, now));
  const { affected, chatIds, auditEntry } = started.jobId === undefined ? started : await erasedByQueue(deps, started.jobId);
  deps.deletions.deleted('message', affected);
  deps.deletions.deleted('stream_event', started.erasedEventCount);
  for (const chatId of chatIds) {
    deps.live.publishChatEvent({ type: 'MESSAGES_DELETED', chatId, threadId: null, messageId: null, streamId: null, at: now });
  }
  if (affected > 0 && started.jobId === undefined) await deps.store.flushErasure();
  return { affected, hardDelete, erasedEventCount: started.erasedEventCount, auditEntry };
}

/** The one transaction: erases a small selection with its audit entry, or queues a large one. */
async function start(trx: Db, scope: Scope, selection: MessageSelection, hardDelete: boolean, now: string): Promise<Started> {
  const flowId = selection.flowId;
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
  const { flowId: _flow, ...filterGiven } = selection;
  const facts = (affected: number): AuditFacts => ({
    action: 'messages.delete',
    targetType: 'FLOW',
    targetId: flowId,
    details: { affected, hardDelete, erasedEventCount, filter: filterGiven },
  });
  if (await selectionExceeds(trx, selection, ERASE_INLINE_LIMIT)) {
    return { erasedEventCount, jobId: await queue(trx, scope, selection, facts(0), now) };
  }
  const touched = await threadsOfSelection(trx, selection);
  const chatIds = [...new Set(touched.map((t) => t.chat_id))];
  const affected = await deleteSelection(trx, selection);
  if (affected > 0) await redactStoredAnswers(trx, scope, now);
  await bumpThreadVersions(trx, [...new Set(touched.map((t) => t.thread_id))], now);
  await bumpChatVersions(trx, chatIds, now);
  return { erasedEventCount, jobId: undefined, affected, chatIds, auditEntry: await recordAudit(trx, scope, facts(affected), now) };
}

/**
 * A large selection is erased by the queue in bounded chunks, up to an id taken now: ids
 * grow with time, so messages posted meanwhile are never swept up. The queue bumps the
 * versions of the threads and chats as it goes. How many rows it takes is known only as
 * it ends (rows may stop matching before their chunk comes), so the audit entry waits in
 * the job and the queue records it with that count.
 */
async function queue(trx: Db, scope: Scope, selection: MessageSelection, facts: AuditFacts, now: string): Promise<string> {
  const jobId = newId();
  const queued: QueuedSelection = { selection, upToId: newId() };
  await insertErasureJob(trx, {
    id: jobId,
    tenant_id: scope.tenantId,
    kind: 'messages',
    target_id: selection.flowId,
    selection: JSON.stringify(queued),
    total: 0,
    done: 0,
    created_at: now,
    finished_at: null,
    pending_audit: pendingAudit(scope, facts, now, 'affected'),
  });
  return jobId;
}

/**
 * Waits for the queue, which yields between chunks: other requests go on. The count is
 * exact, the rows the chunks erased, and the audit entry the queue recorded carries it.
 */
async function erasedByQueue(deps: Deps, jobId: string): Promise<Outcome> {
  const erased = await deps.erasure.whenDone(jobId);
  // Stopped half-way by a shutdown: no count is final yet, so none is claimed.
  if (!erased.auditEntry) throw new Error(`erasure ${jobId} stopped by a shutdown; it resumes at the next start and is audited then`);
  return { affected: erased.messages, chatIds: erased.chatIds, auditEntry: erased.auditEntry };
}
