import { createPubSub } from '@graphql-yoga/subscription';
import { Repeater } from '@repeaterjs/repeater';
import { type ChatEvent, type StreamEvent, TERMINAL_STREAM_EVENTS } from './events.ts';
import type { LiveState } from './live-state.ts';

type Channels = {
  chat: [chatId: string, event: ChatEvent];
  stream: [streamId: string, events: StreamEvent[]];
};

/**
 * Live state of a single replica. Subscriptions are Repeaters rather than async
 * generators: a generator parked in `await` cannot be returned until its next event,
 * so a dropped client would keep counting as a connection until the chat spoke again.
 */
export class MemoryLiveState implements LiveState {
  private readonly pubsub = createPubSub<Channels>();
  private readonly connections = new Map<string, number>();
  private readonly tasks = new Map<string, AbortController>();
  private readonly running = new Set<Promise<void>>();
  private readonly stops = new Set<() => void>();

  publishChatEvent(event: ChatEvent): void {
    this.pubsub.publish('chat', event.chatId, event);
  }

  publishStreamEvents(streamId: string, events: readonly StreamEvent[]): void {
    if (events.length > 0) this.pubsub.publish('stream', streamId, [...events]);
  }

  watchChat(chatId: string): AsyncIterableIterator<ChatEvent> {
    return this.repeat<ChatEvent, ChatEvent>(
      () => this.pubsub.subscribe('chat', chatId),
      (event) => ({ values: [event], last: event.type === 'CHAT_DELETED' }),
      (delta) => this.count(chatId, delta),
    );
  }

  watchStream(streamId: string): AsyncIterableIterator<StreamEvent> {
    return this.repeat<StreamEvent[], StreamEvent>(
      () => this.pubsub.subscribe('stream', streamId),
      (batch) => ({ values: batch, last: batch.some((e) => TERMINAL_STREAM_EVENTS.has(e.type)) }),
      () => {},
    );
  }

  async activeConnections(chatId: string): Promise<number> {
    return this.connections.get(chatId) ?? 0;
  }

  runTask(streamId: string, task: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    this.tasks.set(streamId, controller);
    const run = task(controller.signal)
      .catch((error: unknown) => console.error(`stream ${streamId} task failed`, error))
      .finally(() => {
        if (this.tasks.get(streamId) === controller) this.tasks.delete(streamId);
        this.running.delete(run);
      });
    this.running.add(run);
  }

  cancelTask(streamId: string): void {
    this.tasks.get(streamId)?.abort();
  }

  /** Number of stream tasks still running (shutdown and leak checks). */
  get runningTasks(): number {
    return this.tasks.size;
  }

  async stopTasks(): Promise<void> {
    for (const controller of this.tasks.values()) controller.abort();
    await Promise.all(this.running);
  }

  async close(): Promise<void> {
    await this.stopTasks();
    for (const stop of this.stops) stop();
  }

  private count(chatId: string, delta: number): void {
    const n = (this.connections.get(chatId) ?? 0) + delta;
    if (n > 0) this.connections.set(chatId, n);
    else this.connections.delete(chatId);
  }

  private repeat<In, Out>(
    subscribe: () => AsyncIterableIterator<In | null>,
    unpack: (value: In) => { values: readonly Out[]; last: boolean },
    track: (delta: number) => void,
  ): AsyncIterableIterator<Out> {
    return new Repeater<Out>(async (push, stop) => {
      const source = subscribe();
      this.stops.add(stop);
      track(1);
      void stop.then(() => source.return?.());
      try {
        for await (const value of source) {
          if (value === null) continue;
          const { values, last } = unpack(value);
          for (const v of values) await push(v);
          if (last) break;
        }
      } finally {
        track(-1);
        this.stops.delete(stop);
        stop();
      }
    });
  }
}
