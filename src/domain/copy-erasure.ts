// What erasing a copy outside this service takes: the event a permanent delete leaves in
// the outbox, the target it goes to, and the erasers (src/copies) that carry it there.

import type { ErasureTargetKind } from '../data/tables.ts';

/** One erased row's identifiers, which a key pattern is filled from; null names no key. */
export interface ErasedRow {
  chatId: string;
  threadId: string | null;
  sessionId: string | null;
}

/** What one erasure names: the rows of one flow that a permanent delete erased. */
export interface ErasureEvent {
  /** The delivery's id: the same on every retry, so a receiver can ignore a repeat. */
  id: string;
  receiptId: string;
  flowId: string;
  chatIds: string[];
  threadIds: string[];
  sessionIds: string[];
  /** null when the erasure took more than MESSAGE_IDS_LIMIT messages: its chats, threads and sessions name them. */
  messageIds: string[] | null;
  /** Each distinct (chat, thread, session) erased, for key patterns. */
  rows: ErasedRow[];
  /** When the delete committed. */
  erasedAt: string;
}

/** An event lists the ids of at most this many messages. */
export const MESSAGE_IDS_LIMIT = 10_000;

/** Where a copy lives, with the credentials needed to erase it (never shown). */
export interface CopyTarget {
  kind: ErasureTargetKind;
  url: string;
  keyPattern: string | null;
  secret: string | null;
}

/** Carries events to targets; one instance per process. */
export interface CopyErasers {
  /** Erases the copies `event` names at `target`; throws, with a message safe to show, when it cannot confirm that. */
  erase(target: CopyTarget, event: ErasureEvent): Promise<void>;
  close(): Promise<void>;
}
