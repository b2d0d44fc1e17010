import type { Db } from '../data/db.ts';
import { ACTIVE_STATUSES, insertStreamEvent, lastEventSeq, updateStreamIf } from '../data/streams.repository.ts';
import type { StreamEventType, StreamRow, StreamStatus, StreamUpdate } from '../data/tables.ts';
import type { StreamEvent } from '../live/events.ts';

/** Appends the next event of a stream (seq = last + 1), in the caller's transaction. */
export async function appendStreamEvent(
  trx: Db,
  streamId: string,
  type: StreamEventType,
  data: string | null,
  at: string,
): Promise<StreamEvent> {
  const seq = (await lastEventSeq(trx, streamId)) + 1;
  await insertStreamEvent(trx, { stream_id: streamId, seq, type, data, at });
  return { streamId, seq, type, data, at };
}

/**
 * Moves a stream on and records the event, but only from one of `from`: a stream
 * cancelled or deleted meanwhile is left alone and `undefined` comes back, which is
 * how a generator learns to stop writing.
 */
export async function transitionStream(
  trx: Db,
  streamId: string,
  from: readonly StreamStatus[],
  set: StreamUpdate,
  event: { type: StreamEventType; data: string | null; at: string },
): Promise<{ stream: StreamRow; event: StreamEvent } | undefined> {
  const stream = await updateStreamIf(trx, streamId, from, set);
  if (!stream) return undefined;
  return { stream, event: await appendStreamEvent(trx, streamId, event.type, event.data, event.at) };
}

/** Cancels an active stream inside a delete's transaction; the caller publishes after commit. */
export async function cancelInTransaction(trx: Db, streamId: string, at: string): Promise<StreamEvent | undefined> {
  const done = await transitionStream(trx, streamId, ACTIVE_STATUSES, { status: 'CANCELLED', finished_at: at }, {
    type: 'CANCELLED',
    data: null,
    at,
  });
  return done?.event;
}

/** The DELETED event that subscribers of a removed stream get last; it is never stored. */
export function deletedEvent(streamId: string, after: StreamEvent | undefined, lastSeq: number, at: string): StreamEvent {
  return { streamId, seq: Math.max(after?.seq ?? 0, lastSeq) + 1, type: 'DELETED', data: null, at };
}
