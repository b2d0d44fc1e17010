import { setTimeout as sleep } from 'node:timers/promises';
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
  /** Every open subscription: how to stop it, and when it has finished. */
  private readonly watchers = new Map<() => void, { kind: 'chat' | 'stream'; done: Promise<void> }>();

  publishChatEvent(event: ChatEvent): void {
    this.pubsub.publish('chat', event.chatId, event);
  }

  publishStreamEvents(streamId: string, events: readonly StreamEvent[]): void {
    if (events.length > 0) this.pubsub.publish('stream', streamId, [...events]);
  }

  watchChat(chatId: string): AsyncIterableIterator<ChatEvent> {
    return this.repeat<ChatEvent, ChatEvent>(
      'chat',
      () => this.pubsub.subscribe('chat', chatId),
      (event) => ({ values: [event], last: event.type === 'CHAT_DELETED' }),
      (delta) => this.count(chatId, delta),
    );
  }

  watchStream(streamId: string): AsyncIterableIterator<StreamEvent> {
    return this.repeat<StreamEvent[], StreamEvent>(
      'stream',
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

  /**
   * Stream subscribers end by themselves after the terminal events that shutdown has just
   * published; they get a moment to deliver them. Then every subscription is stopped.
   */
  async close(): Promise<void> {
    await this.stopTasks();
    const streams = [...this.watchers.values()].filter((w) => w.kind === 'stream').map((w) => w.done);
    await Promise.race([Promise.all(streams), sleep(1000)]);
    for (const stop of this.watchers.keys()) stop();
    await Promise.race([Promise.all([...this.watchers.values()].map((w) => w.done)), sleep(1000)]);
  }

  private count(chatId: string, delta: number): void {
    const n = (this.connections.get(chatId) ?? 0) + delta;
    if (n > 0) this.connections.set(chatId, n);
    else this.connections.delete(chatId);
  }

  private repeat<In, Out>(
    kind: 'chat' | 'stream',
    subscribe: () => AsyncIterableIterator<In | null>,
    unpack: (value: In) => { values: readonly Out[]; last: boolean },
    track: (delta: number) => void,
  ): AsyncIterableIterator<Out> {
    return new Repeater<Out>(async (push, stop) => {
      const source = subscribe();
      let finished!: () => void;
      this.watchers.set(stop, { kind, done: new Promise<void>((resolve) => (finished = resolve)) });
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
        this.watchers.delete(stop);
        stop();
        finished();
      }
    });
  }
}
