import { sql } from 'kysely';
import type { StreamEventRow, StreamRow, StreamStatus, StreamUpdate } from './tables.ts';
import { type MessageSelection, selectionPredicate } from './messages.repository.ts';
import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';

export const ACTIVE_STATUSES: readonly StreamStatus[] = ['QUEUED', 'RUNNING'];

export async function insertStream(db: Db, row: StreamRow) {
  await db.insertInto('streams').values(row).execute();
}

/** Streams whose thread is live (not soft-deleted). */
export async function findLiveStreams(db: Db, tenantId: string, ids: readonly string[], lock = false): Promise<StreamRow[]> {
  if (ids.length === 0) return [];
  const q = db
    .selectFrom('streams')
    .selectAll('streams')
    .innerJoin('threads', 'threads.id', 'streams.thread_id')
    .where('streams.tenant_id', '=', tenantId)
    .where('streams.id', 'in', ids)
    .where('threads.deleted_at', 'is', null);
  return (lock ? q.forUpdate() : q).execute();
}

export async function findStream(db: Db, id: string): Promise<StreamRow | undefined> {
  return db.selectFrom('streams').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Changes a stream only while it is in one of `from`; returns the row after the change,
 * or undefined when it was not (deleted, finished or cancelled meanwhile).
 */
export async function updateStreamIf(
  db: Db,
  id: string,
  from: readonly StreamStatus[],
  set: StreamUpdate,
): Promise<StreamRow | undefined> {
  const result = await db
    .updateTable('streams')
    .set((eb) => ({ ...set, version: eb('version', '+', 1) }))
    .where('id', '=', id)
    .where('status', 'in', from)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) return undefined;
  return findStream(db, id);
}

export async function setStreamMessage(db: Db, streamId: string, messageId: string) {
  await db.updateTable('streams').set({ message_id: messageId }).where('id', '=', streamId).execute();
}

export async function activeStreamsOfThreads(db: Db, threadIds: readonly string[]): Promise<StreamRow[]> {
  if (threadIds.length === 0) return [];
  return db
    .selectFrom('streams')
    .selectAll()
    .where('thread_id', 'in', threadIds)
    .where('status', 'in', ACTIVE_STATUSES)
    .execute();
}

/** The active streams writing to a thread that holds a selected message: one probe per active stream. */
export async function activeStreamsOfSelection(db: Db, s: MessageSelection): Promise<StreamRow[]> {
  return db
    .selectFrom('streams')
    .selectAll('streams')
    .where('streams.status', 'in', ACTIVE_STATUSES)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('messages')
          .select(sql.lit(1).as('one'))
          .whereRef('messages.thread_id', '=', 'streams.thread_id')
          .where(selectionPredicate(s))
          .limit(1),
      ),
    )
    .execute();
}

export async function activeStreamsOfChat(db: Db, chatId: string): Promise<StreamRow[]> {
  return activeStreamsOfChatStatement(db, { chatId });
}

const activeStreamsOfChatStatement = compiledOnce((db, { chatId }: { chatId: string }) =>
  db.selectFrom('streams').selectAll().where('chat_id', '=', chatId).where('status', 'in', ACTIVE_STATUSES),
);

export async function streamsInStatus(db: Db, statuses: readonly StreamStatus[]): Promise<StreamRow[]> {
  return db.selectFrom('streams').selectAll().where('status', 'in', statuses).execute();
}

export async function insertStreamEvent(db: Db, row: StreamEventRow) {
  await db.insertInto('stream_events').values(row).execute();
}

export async function lastEventSeq(db: Db, streamId: string): Promise<number> {
  const row = await db
    .selectFrom('stream_events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('stream_id', '=', streamId)
    .executeTakeFirst();
  return Number(row?.seq ?? 0);
}

export async function listStreamEvents(
  db: Db,
  streamId: string,
  afterSeq: number,
  limit: number,
): Promise<StreamEventRow[]> {
  return db
    .selectFrom('stream_events')
    .selectAll()
    .where('stream_id', '=', streamId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

export async function countEventsByStream(db: Db, streamIds: readonly string[]): Promise<Map<string, number>> {
  if (streamIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('stream_events')
    .select(['stream_id as key', (eb) => eb.fn.countAll<number>().as('n')])
    .where('stream_id', 'in', streamIds)
    .groupBy('stream_id')
    .execute();
  return new Map(rows.map((r) => [r.key, Number(r.n)]));
}

export async function countEventsOfStream(db: Db, streamId: string): Promise<number> {
  return (await countEventsByStream(db, [streamId])).get(streamId) ?? 0;
}

export async function deleteStreamRow(db: Db, id: string) {
  await db.deleteFrom('stream_events').where('stream_id', '=', id).execute();
  await db.deleteFrom('streams').where('id', '=', id).execute();
}

/** Erases the cached TOKEN events that carried the text of the selected messages. */
export async function deleteTokenEventsOfSelection(db: Db, s: MessageSelection): Promise<number> {
  const selected = db.selectFrom('messages').select('messages.id').where(selectionPredicate(s));
  const result = await db
    .deleteFrom('stream_events')
    .where('type', '=', 'TOKEN')
    .where('stream_id', 'in', (eb) =>
      eb
        .selectFrom('streams')
        .select('streams.id')
        .where((w) => w.or([w('streams.prompt_message_id', 'in', selected), w('streams.message_id', 'in', selected)])),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
