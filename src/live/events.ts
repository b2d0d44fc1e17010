import type { StreamEventType } from '../data/tables.ts';

export const CHAT_EVENT_TYPES = [
  'THREAD_CREATED',
  'THREAD_DELETED',
  'THREAD_RESTORED',
  'MESSAGE_POSTED',
  'MESSAGES_DELETED',
  'STREAM_STARTED',
  'STREAM_FINISHED',
  'STREAM_DELETED',
  'CHAT_DELETED',
] as const;
export type ChatEventType = (typeof CHAT_EVENT_TYPES)[number];

export interface ChatEvent {
  type: ChatEventType;
  chatId: string;
  threadId: string | null;
  messageId: string | null;
  streamId: string | null;
  at: string;
}

export interface StreamEvent {
  streamId: string;
  seq: number;
  type: StreamEventType;
  data: string | null;
  at: string;
}

/** After one of these a stream produces nothing more. */
export const TERMINAL_STREAM_EVENTS: ReadonlySet<StreamEventType> = new Set(['COMPLETED', 'CANCELLED', 'FAILED', 'DELETED']);
