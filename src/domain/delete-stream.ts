import { bumpChatVersions } from '../data/chats.repository.ts';
import { countEventsOfStream, deleteStreamRow, findLiveStreams, lastEventSeq } from '../data/streams.repository.ts';
import type { StreamStatus } from '../data/tables.ts';
import { bumpThreadVersions } from '../data/threads.repository.ts';
import { type AuditEntry, recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { NotFoundError, versionMismatch } from './errors.ts';
import { endStreams } from './publish-after-delete.ts';
import { redactStoredAnswers } from './redact-stored-answers.ts';
import { cancelInTransaction } from './stream-events.ts';
import { Checker } from './validation.ts';

export interface DeleteStreamResult {
  streamId: string;
  previousStatus: StreamStatus;
  cancelled: boolean;
  deletedEventCount: number;
  deletedAt: string;
  auditEntry: AuditEntry;
}

export async function deleteStream(
  deps: Deps,
  scope: Scope,
  input: { id: string; expectedVersion?: number | null },
): Promise<DeleteStreamResult> {
  const check = new Checker();
  const id = check.id(['id'], input.id);
  check.done();
  const now = isoNow(deps.clock);
  const { result, ended } = await deps.store.db.transaction().execute(async (trx) => {
    const [stream] = await findLiveStreams(trx, scope.tenantId, [id], true);
    if (!stream) throw new NotFoundError('STREAM', id);
    if (input.expectedVersion != null && input.expectedVersion !== stream.version)
      throw versionMismatch('Stream', input.expectedVersion, stream.version);
    const cancelled = await cancelInTransaction(trx, id, now);
    const deletedEventCount = await countEventsOfStream(trx, id);
    const lastSeq = await lastEventSeq(trx, id);
    await deleteStreamRow(trx, id);
    await redactStoredAnswers(trx, scope, now);
    await bumpThreadVersions(trx, [stream.thread_id], now);
    await bumpChatVersions(trx, [stream.chat_id], now);
    const auditEntry = await recordAudit(
      trx,
      scope,
      {
        action: 'stream.delete',
        targetType: 'STREAM',
        targetId: id,
        details: { previousStatus: stream.status, cancelled: cancelled !== undefined, deletedEventCount },
      },
      now,
    );
    return {
      result: {
        streamId: id,
        previousStatus: stream.status,
        cancelled: cancelled !== undefined,
        deletedEventCount,
        deletedAt: now,
        auditEntry,
      },
      ended: [{ stream, cancelled, removedAfterSeq: lastSeq }],
    };
  });
  endStreams(deps, ended, now);
  deps.deletions.deleted('stream', 1);
  deps.deletions.deleted('stream_event', result.deletedEventCount);
  const stream = ended[0]!.stream;
  deps.live.publishChatEvent({
    type: 'STREAM_DELETED',
    chatId: stream.chat_id,
    threadId: stream.thread_id,
    messageId: null,
    streamId: id,
    at: now,
  });
  await deps.store.flushErasure();
  return result;
}
