import type { SelectQueryBuilder } from 'kysely';
import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';
import type { Database } from './tables.ts';
import { type ChunkBounds, type MessageSelection, selectionPredicate } from './messages.repository.ts';

/** What an erasure takes, named for the copies elsewhere: a chat, a thread, or a message selection. */
export type ErasedScope =
  | { kind: 'chat'; chatId: string }
  | { kind: 'thread'; threadId: string; chatId: string }
  | { kind: 'selection'; selection: MessageSelection & ChunkBounds };

export interface ErasedRowsFound {
  /** Every message id; null when there are more than `idLimit`. */
  messageIds: string[] | null;
  /** Each distinct (chat, thread, session) of the erased messages. */
  rows: { chat_id: string; thread_id: string; session_id: string | null }[];
  /** Every thread erased, those without messages too. */
  threadIds: string[];
}

/**
 * Read inside the delete's transaction, before its rows go: afterwards nothing would say
 * which sessions and threads the copies elsewhere hold. Usually one statement, which
 * reads every message (and, for a chat or a thread, every thread, empty ones too); only
 * beyond `idLimit` rows the ids are left out and the distinct rows read on their own.
 */
export async function findErasedRows(db: Db, scope: ErasedScope, idLimit: number): Promise<ErasedRowsFound> {
  const all = await everyRow(db, scope, idLimit + 1);
  if (all.length <= idLimit) {
    return erasedRowsOf(
      all.filter((r): r is MessageRow => r.id !== null),
      [...new Set(all.map((r) => r.thread_id))],
      idLimit,
    );
  }
  const rows = await where(db.selectFrom('messages').select(['messages.chat_id', 'messages.thread_id', 'messages.session_id']).distinct(), scope).execute();
  const threadIds =
    scope.kind === 'chat'
      ? (await db.selectFrom('threads').select('id').where('chat_id', '=', scope.chatId).execute()).map((t) => t.id)
      : scope.kind === 'thread'
        ? [scope.threadId]
        : [...new Set(rows.map((r) => r.thread_id))];
  return { messageIds: null, rows, threadIds };
}

type Row = { id: string | null; chat_id: string; thread_id: string; session_id: string | null };
type MessageRow = Row & { id: string };

/** What erasing `messages` and the threads `threadIds` takes; the ids only up to `idLimit`. */
function erasedRowsOf(messages: readonly MessageRow[], threadIds: string[], idLimit: number): ErasedRowsFound {
  return { messageIds: messages.length <= idLimit ? messages.map((m) => m.id) : null, rows: distinctRows(messages), threadIds };
}

/**
 * Deletes a chat's messages and answers what erasing them and the threads `threadIds` (every
 * thread of the chat) takes, as findErasedRows would, without a read of its own: the delete
 * visits each row anyway (bench/RESULTS.md, "Erasure targets"). Every row comes back, so
 * only for a chat small enough to be erased at once.
 */
export async function eraseMessagesOfChat(db: Db, chatId: string, threadIds: string[], idLimit: number): Promise<ErasedRowsFound> {
  return erasedRowsOf(await deleteMessagesOfChatStatement(db, { chatId }), threadIds, idLimit);
}

/** Compiled once, as the rest of deleteChat's statements. */
const deleteMessagesOfChatStatement = compiledOnce((db, { chatId }: { chatId: string }) =>
  db.deleteFrom('messages').where('chat_id', '=', chatId).returning(['id', 'chat_id', 'thread_id', 'session_id']),
);

/** Up to `limit` rows: each message, and each thread of a chat or thread scope without one (id null). */
async function everyRow(db: Db, scope: ErasedScope, limit: number): Promise<Row[]> {
  if (scope.kind === 'selection') {
    return where(db.selectFrom('messages').select(['messages.id', 'messages.chat_id', 'messages.thread_id', 'messages.session_id']), scope)
      .limit(limit)
      .execute();
  }
  return scope.kind === 'chat'
    ? rowsOfThreads(db, { chatId: scope.chatId, threadId: null, limit })
    : rowsOfThreads(db, { chatId: null, threadId: scope.threadId, limit });
}

/** Compiled once: every permanent delete of a chat or thread with a target asks it. */
const rowsOfThreads = compiledOnce((db, p: { chatId: string | null; threadId: string | null; limit: number }) =>
  db
    .selectFrom('threads')
    .leftJoin('messages', 'messages.thread_id', 'threads.id')
    .select(['messages.id', 'threads.chat_id', 'threads.id as thread_id', 'messages.session_id'])
    .$call((q) => (p.chatId !== null ? q.where('threads.chat_id', '=', p.chatId) : q.where('threads.id', '=', p.threadId!)))
    .limit(p.limit),
);

function where<O>(q: SelectQueryBuilder<Database, 'messages', O>, scope: ErasedScope): SelectQueryBuilder<Database, 'messages', O> {
  return scope.kind === 'chat'
    ? q.where('messages.chat_id', '=', scope.chatId)
    : scope.kind === 'thread'
      ? q.where('messages.thread_id', '=', scope.threadId)
      : q.where(selectionPredicate(scope.selection));
}

function distinctRows(rows: readonly Row[]): ErasedRowsFound['rows'] {
  const seen = new Map<string, ErasedRowsFound['rows'][number]>();
  for (const r of rows) seen.set(JSON.stringify([r.chat_id, r.thread_id, r.session_id]), { chat_id: r.chat_id, thread_id: r.thread_id, session_id: r.session_id });
  return [...seen.values()];
}

/** Streams and their cached events of a chat or a thread, for a receipt's counts. */
export async function countStreamsOf(db: Db, scope: { chatId: string } | { threadId: string }): Promise<{ streams: number; streamEvents: number }> {
  const [row] = await countStreamsStatement(db, scope);
  return { streams: Number(row!.streams), streamEvents: Number(row!.events) };
}

/** Compiled once per scope (the shape tells a chat's from a thread's). */
const countStreamsStatement = compiledOnce((db, scope: { chatId: string } | { threadId: string }) =>
  db
    .selectFrom('streams')
    .leftJoin('stream_events', 'stream_events.stream_id', 'streams.id')
    .select((eb) => [eb.fn.count<number>('streams.id').distinct().as('streams'), eb.fn.count<number>('stream_events.stream_id').as('events')])
    .$call((q) => ('chatId' in scope ? q.where('streams.chat_id', '=', scope.chatId) : q.where('streams.thread_id', '=', scope.threadId))),
);
