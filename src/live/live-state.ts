import type { ChatEvent, StreamEvent } from './events.ts';

/**
 * What lives outside the database: event fan-out, the registry of live connections and
 * the running stream tasks. One replica keeps it in memory; several share it (Redis).
 */
export interface LiveState {
  /** Called after the write that caused the event has committed. */
  publishChatEvent(event: ChatEvent): void;
  /**
   * Events published together reach each subscriber together, so CANCELLED and the
   * DELETED that follows it arrive before the subscription completes.
   */
  publishStreamEvents(streamId: string, events: readonly StreamEvent[]): void;

  /** A live connection on the chat while iterated; ends after CHAT_DELETED. */
  watchChat(chatId: string): AsyncIterableIterator<ChatEvent>;
  /** Live events of a stream as published (batches flattened), until a terminal event. */
  watchStream(streamId: string): AsyncIterableIterator<StreamEvent>;
  activeConnections(chatId: string): Promise<number>;

  /** Runs a stream's generator; `cancelTask` aborts its signal, wherever it runs. */
  runTask(streamId: string, task: (signal: AbortSignal) => Promise<void>): void;
  cancelTask(streamId: string): void;
  /** Aborts every running task here and waits until each has stopped (shutdown). */
  stopTasks(): Promise<void>;
  /** Ends every subscription with a complete (shutdown, after the last events). */
  close(): Promise<void>;
}
