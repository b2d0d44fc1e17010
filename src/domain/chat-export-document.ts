import { countMessagesOfChatUpTo } from '../data/messages.repository.ts';
import type { Chat } from './chats.ts';
import { type ExportEnd, type ExportHeader, type ExportedThread, openChatExport } from './chat-export.ts';
import type { Deps } from './deps.ts';
import { ExportTooLargeError, NotFoundError } from './errors.ts';
import type { Message } from './messages.ts';
import type { Scope } from './scope.ts';

/**
 * The most messages one exportChat answer holds. The answer is built in memory and sent as
 * one JSON value (the server runs with a 128 MB heap): 10,000 messages of a usual length are
 * a few MB. Larger chats are streamed by GET /api/v1/chats/{chat_id}/export in bounded memory.
 */
export const EXPORT_MAX_MESSAGES = 10_000;
/**
 * The most characters of message content one answer holds: 10,000 messages may each hold
 * 100,000 characters, so the count alone would allow a 1 GB answer.
 */
export const EXPORT_MAX_TEXT_CHARACTERS = 8 * 1024 * 1024;

/** The export's records nested: the chat holds its threads, each thread its messages. */
export interface ExportDocument extends ExportHeader {
  chat: Chat & { threads: (ExportedThread & { messages: Message[] })[] };
  end: ExportEnd;
}

export interface ChatExport extends ExportHeader {
  data: ExportDocument;
}

const LIMITS = { messages: EXPORT_MAX_MESSAGES, textCharacters: EXPORT_MAX_TEXT_CHARACTERS };

/** The whole chat as one value, or null when it is missing; ExportTooLargeError past the limits. */
export async function exportChatDocument(deps: Pick<Deps, 'store' | 'clock'>, scope: Scope, chatId: string): Promise<ChatExport | null> {
  let opened;
  try {
    opened = await openChatExport(deps, scope, chatId);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
  // Counted first (reading at most limit + 1 index entries), so that a large chat is refused
  // before any of it is read; the reading checks again, for messages posted meanwhile.
  if ((await countMessagesOfChatUpTo(deps.store.db, opened.header.chatId, EXPORT_MAX_MESSAGES)) > EXPORT_MAX_MESSAGES) {
    throw new ExportTooLargeError(opened.header.chatId, LIMITS);
  }
  let chat: ExportDocument['chat'] | undefined;
  let end: ExportEnd | undefined;
  let messages = 0;
  let characters = 0;
  for await (const batch of opened.records) {
    for (const record of batch) {
      switch (record.type) {
        case 'chat': {
          const { type: _, ...fields } = record;
          chat = { ...fields, threads: [] };
          break;
        }
        case 'thread': {
          const { type: _, ...fields } = record;
          chat?.threads.push({ ...fields, messages: [] });
          break;
        }
        case 'message': {
          const { type: _, ...fields } = record;
          messages++;
          characters += fields.content.length;
          if (messages > EXPORT_MAX_MESSAGES || characters > EXPORT_MAX_TEXT_CHARACTERS) throw new ExportTooLargeError(opened.header.chatId, LIMITS);
          chat?.threads.at(-1)?.messages.push(fields);
          break;
        }
        case 'end': {
          const { type: _, ...fields } = record;
          end = fields;
          break;
        }
      }
    }
  }
  // The records always hold a chat and end with an end record, or the reading threw.
  return { ...opened.header, data: { ...opened.header, chat: chat!, end: end! } };
}
