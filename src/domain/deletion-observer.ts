/** The kinds of rows a delete removes, as metrics count them. */
export type DeletedKind = 'chat' | 'thread' | 'thread_soft' | 'message' | 'stream' | 'stream_event';

/** A committed permanent delete's receipt, as logged (counts and ids, never content). */
export interface ReceiptNotice {
  receiptId: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string;
  /** Outbox entries written for copies elsewhere. */
  copies: number;
}

/** One tenant's retention run, as counted. */
export interface RetentionNotice {
  dryRun: boolean;
  erasedChatCount: number;
  erasedMessageCount: number;
  heldChatCount: number;
}

/** Told of every committed delete (metrics, logs); the domain knows nothing of how it is counted. */
export interface DeletionObserver {
  deleted(kind: DeletedKind, rows: number): void;
  receipted(notice: ReceiptNotice): void;
  retained(notice: RetentionNotice): void;
  /** A delete a legal hold refused, by what it would have erased. */
  held(erasure: HeldErasure): void;
}

/** What a refused delete would have erased: a chat, a thread, a message selection, a stream, a subject's messages. */
export type HeldErasure = 'chat' | 'thread' | 'selection' | 'stream' | 'subject';

export const ignoreDeletions: DeletionObserver = { deleted: () => {}, receipted: () => {}, retained: () => {}, held: () => {} };
