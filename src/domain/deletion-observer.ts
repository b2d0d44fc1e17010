/** The kinds of rows a delete removes, as metrics count them. */
export type DeletedKind = 'chat' | 'thread' | 'thread_soft' | 'message' | 'stream' | 'stream_event';

/** Told of every committed delete (metrics); the domain knows nothing of how it is counted. */
export interface DeletionObserver {
  deleted(kind: DeletedKind, rows: number): void;
}

export const ignoreDeletions: DeletionObserver = { deleted: () => {} };
