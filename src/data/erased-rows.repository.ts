import type { SelectQueryBuilder } from 'kysely';
import type { Db } from './db.ts';
import type { Database } from './tables.ts';
import { type ChunkBounds, type MessageSelection, selectionPredicate } from './messages.repository.ts';

/** What an erasure takes, named for the copies elsewhere: a chat, a thread, or a message selection. */
export type ErasedScope =
  | { kind: 'chat'; chatId: string }
  | { kind: 'thread'; threadId: string; chatId: string }
  | { kind: 'selection'; selection: MessageSelection & ChunkBounds };

export interface ErasedRowsFound {
  /** Up to `idLimit + 1` message ids, so the caller can tell "more than idLimit". */
  messageIds: string[];
  /** Each distinct (chat, thread, session) of the erased messages. */
  rows: { chat_id: string; thread_id: string; session_id: string | null }[];
  /** Every thread erased, those without messages too. */
  threadIds: string[];
}

/**
 * Read inside the delete's transaction, before its rows go: afterwards nothing would say
 * which sessions and threads the copies elsewhere hold.
 */
export async function findErasedRows(db: Db, scope: ErasedScope, idLimit: number): Promise<ErasedRowsFound> {
  const where = <O>(q: SelectQueryBuilder<Database, 'messages', O>) =>
    scope.kind === 'chat'
      ? q.where('messages.chat_id', '=', scope.chatId)
      : scope.kind === 'thread'
        ? q.where('messages.thread_id', '=', scope.threadId)
        : q.where(selectionPredicate(scope.selection));
  const ids = await where(db.selectFrom('messages').select('messages.id')).limit(idLimit + 1).execute();
  const rows = await where(db.selectFrom('messages').select(['messages.chat_id', 'messages.thread_id', 'messages.session_id']).distinct()).execute();
  const threadIds =
    scope.kind === 'chat'
      ? (await db.selectFrom('threads').select('id').where('chat_id', '=', scope.chatId).execute()).map((t) => t.id)
      : scope.kind === 'thread'
        ? [scope.threadId]
        : [...new Set(rows.map((r) => r.thread_id))];
  return { messageIds: ids.map((r) => r.id), rows, threadIds };
}

/** Streams and their cached events of a chat or a thread, for a receipt's counts. */
export async function countStreamsOf(db: Db, scope: { chatId: string } | { threadId: string }): Promise<{ streams: number; streamEvents: number }> {
  const row = await db
    .selectFrom('streams')
    .leftJoin('stream_events', 'stream_events.stream_id', 'streams.id')
    .select((eb) => [eb.fn.count<number>('streams.id').distinct().as('streams'), eb.fn.count<number>('stream_events.stream_id').as('events')])
    .$call((q) => ('chatId' in scope ? q.where('streams.chat_id', '=', scope.chatId) : q.where('streams.thread_id', '=', scope.threadId)))
    .executeTakeFirstOrThrow();
  return { streams: Number(row.streams), streamEvents: Number(row.events) };
}
