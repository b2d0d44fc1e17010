import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { PageRequest } from '../data/keyset.ts';
import { listMessagesOfThread } from '../data/messages.repository.ts';
import type { MessageRow, ThreadRow } from '../data/tables.ts';
import { listThreadsOfChat } from '../data/threads.repository.ts';
import { type Chat, getChats, requireChat } from './chats.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import { NotFoundError } from './errors.ts';
import { type Message, messageOf } from './messages.ts';
import type { Scope } from './scope.ts';
import { type Thread, threadOf } from './threads.ts';

// An export of one chat is a sequence of records, read page by page so that memory stays
// bounded at any size: the header, the chat, then each thread (soft-deleted ones too,
// marked by deletedAt) followed by its messages, and an end record. REST streams them as
// NDJSON, one line each; exportChat nests the same records into one JSON value.
//
// What an export sees while rows change: every page is a statement of its own, not one long
// transaction (on SQLite that would hold the server's one connection, or hold back the WAL
// checkpoint that makes erasures final, for the whole export). Each record is as it was when
// its page was read; a message posted meanwhile is exported if its thread's pages have not
// been read past it yet; one deleted meanwhile is exported if its page was read before. The
// end record carries the chat's version when the export ended: equal to the chat record's
// version, nothing was posted, deleted or restored in the chat meanwhile. A chat deleted
// meanwhile ends the export with an error instead of the end record.

/** The version of the record shapes below: any change to them gets a new one. */
export const CHAT_EXPORT_FORMAT = 'chat-gateway.chat-export.v1';

/** Threads per page: a thread row is small (its metadata is at most 16 KB). */
const THREAD_PAGE_ROWS = 100;
/** Messages per page at most: about 1,000 rows make one statement of a few milliseconds. */
const MESSAGE_PAGE_ROWS = 1_000;
/**
 * About this many characters of content per page of messages: a message may hold 100,000
 * characters, so the row count alone would let one page of long messages take 100 MB.
 */
const MESSAGE_PAGE_CHARACTERS = 1_000_000;

export interface ExportHeader {
  format: typeof CHAT_EXPORT_FORMAT;
  chatId: string;
  exportedAt: string;
}

/** A thread with its metadata as JSON (stored as text). */
export type ExportedThread = Omit<Thread, 'metadata'> & { metadata: unknown };

export interface ExportEnd {
  threadCount: number;
  messageCount: number;
  /** The chat's version when the export ended; equal to the chat record's when nothing changed. */
  chatVersion: number;
}

export type ExportRecord =
  | ({ type: 'export' } & ExportHeader)
  | ({ type: 'chat' } & Chat)
  | ({ type: 'thread' } & ExportedThread)
  | ({ type: 'message' } & Message)
  | ({ type: 'end' } & ExportEnd);

type ExportDeps = Pick<Deps, 'store' | 'clock'>;

export interface OpenedExport {
  header: ExportHeader;
  /**
   * The records in order, in batches (a page of messages each: one step of an async
   * iteration per row would cost more than the row). Read lazily; closing it early
   * (return()) stops the reading.
   */
  records: AsyncGenerator<ExportRecord[], void, undefined>;
  /** What the records have handed over so far (for a log of an export cut short). */
  progress: { threads: number; messages: number };
}

/** Finds the chat (NotFoundError for a missing one or another tenant's) and opens its export. */
export async function openChatExport(deps: ExportDeps, scope: Scope, chatId: string): Promise<OpenedExport> {
  const chat = await requireChat(deps, scope, chatId);
  const header: ExportHeader = { format: CHAT_EXPORT_FORMAT, chatId: chat.id, exportedAt: isoNow(deps.clock) };
  const progress = { threads: 0, messages: 0 };
  return { header, records: recordsOf(deps, scope, header, chat, progress), progress };
}

async function* recordsOf(
  deps: ExportDeps,
  scope: Scope,
  header: ExportHeader,
  chat: Chat,
  progress: OpenedExport['progress'],
): AsyncGenerator<ExportRecord[], void, undefined> {
  const db = deps.store.db;
  yield [{ type: 'export', ...header }, { type: 'chat', ...chat }];
  for await (const threads of keysetPages((page) => listThreadsOfChat(db, chat.id, page), () => THREAD_PAGE_ROWS)) {
    for (const thread of threads) {
      progress.threads++;
      yield [threadRecord(thread)];
      for await (const rows of keysetPages((page) => listMessagesOfThread(db, thread.id, page), rowsFitting)) {
        progress.messages += rows.length;
        yield rows.map((row): ExportRecord => ({ type: 'message', ...messageOf(row) }));
      }
    }
  }
  const [now] = await getChats(deps, scope, [chat.id]);
  if (!now) throw new NotFoundError('CHAT', chat.id);
  yield [{ type: 'end', threadCount: progress.threads, messageCount: progress.messages, chatVersion: now.version }];
}

function threadRecord(row: ThreadRow): ExportRecord {
  const thread = threadOf(row);
  return { type: 'thread', ...thread, metadata: thread.metadata === null ? null : (JSON.parse(thread.metadata) as unknown) };
}

/** The next page's size: as many rows as hold about MESSAGE_PAGE_CHARACTERS like the last page's. */
function rowsFitting(last: readonly MessageRow[] | undefined): number {
  if (!last || last.length === 0) return 100;
  let characters = 0;
  for (const row of last) characters += row.content.length;
  const perRow = Math.max(1, characters / last.length);
  return Math.max(1, Math.min(MESSAGE_PAGE_ROWS, Math.floor(MESSAGE_PAGE_CHARACTERS / perRow)));
}

/**
 * Every row of a list in (created_at, id) order, one keyset page at a time. Yields to the
 * event loop after each page: a fast client never makes the socket push back (a write to
 * loopback completes at once), and on SQLite a page is read synchronously, so without it a
 * whole export would run in one turn of the loop and stall every other request.
 */
async function* keysetPages<R extends { created_at: string; id: string }>(
  read: (page: PageRequest) => Promise<R[]>,
  size: (last: readonly R[] | undefined) => number,
): AsyncGenerator<R[], void, undefined> {
  let last: R[] | undefined;
  for (;;) {
    const limit = size(last);
    const after = last?.[last.length - 1];
    const rows = await read({ after: after && { at: after.created_at, id: after.id }, limit, inverted: false });
    if (rows.length > 0) yield rows;
    if (rows.length < limit) return;
    last = rows;
    await yieldToEventLoop();
  }
}

/**
 * Batches of records as NDJSON text in pieces of about `characters` (one write each: a write
 * per line would cost more than the line). A failure first hands over the lines read before it.
 */
export async function* ndjsonChunks(batches: AsyncIterable<readonly unknown[]>, characters = 64 * 1024): AsyncGenerator<string, void, undefined> {
  let text = '';
  try {
    for await (const batch of batches) {
      for (const record of batch) {
        text += `${JSON.stringify(record)}\n`;
        if (text.length >= characters) {
          yield text;
          text = '';
        }
      }
    }
  } catch (error) {
    if (text !== '') yield text;
    throw error;
  }
  if (text !== '') yield text;
}
