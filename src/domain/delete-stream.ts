import { bumpChatVersions } from '../data/chats.repository.ts';
import { countEventsOfStream, deleteStreamRow, findLiveStreams, lastEventSeq } from '../data/streams.repository.ts';
import type { StreamStatus } from '../data/tables.ts';
import { bumpThreadVersions } from '../data/threads.repository.ts';
import { type AuditEntry, recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { type DeleteOptions, runDelete } from './delete-pipeline.ts';
import { receiptFor } from './erasure-receipts.ts';
import { NotFoundError } from './errors.ts';
import { cancelInTransaction } from './stream-events.ts';
import { Checker } from './validation.ts';

export interface DeleteStreamResult {
  streamId: string;
  previousStatus: StreamStatus;
  cancelled: boolean;
  deletedEventCount: number;
  deletedAt: string;
  /** Null for a dry run. */
  auditEntry: AuditEntry | null;
  receiptId: string | null;
  dryRun: boolean;
}

export async function deleteStream(
  deps: Deps,
  scope: Scope,
  input: { id: string; expectedVersion?: number | null } & DeleteOptions,
): Promise<DeleteStreamResult> {
  const check = new Checker();
  const id = check.id(['id'], input.id);
  check.done();
  const now = isoNow(deps.clock);
  return runDelete(deps, scope, {
    find: async (trx) => {
      const [stream] = await findLiveStreams(trx, scope.tenantId, [id], true);
      if (!stream) throw new NotFoundError('STREAM', id);
      return stream;
    },
    version: { expected: input.expectedVersion, resource: 'Stream', of: (stream) => stream.version },
    erases: (stream) => ({ kind: 'stream', chatId: stream.chat_id }),
    act: async (trx, stream) => {
      const cancelled = await cancelInTransaction(trx, id, now);
      const deletedEventCount = await countEventsOfStream(trx, id);
      const lastSeq = await lastEventSeq(trx, id);
      await deleteStreamRow(trx, id);
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
      const receipt = receiptFor(auditEntry, { streams: 1, streamEvents: deletedEventCount });
      return {
        result: {
          streamId: id,
          previousStatus: stream.status,
          cancelled: cancelled !== undefined,
          deletedEventCount,
          deletedAt: now,
          auditEntry,
          receiptId: receipt.id,
          dryRun: false,
        },
        after: {
          at: now,
          ended: [{ stream, cancelled, removedAfterSeq: lastSeq }],
          deleted: { stream: 1, stream_event: deletedEventCount },
          chatEvents: [{ type: 'STREAM_DELETED', chatId: stream.chat_id, threadId: stream.thread_id, messageId: null, streamId: id, at: now }],
          erasure: 'now',
          receipt,
        },
      };
    },
  }, input);
}
