import { setTimeout as sleep } from 'node:timers/promises';
import { type PubSub, createPubSub } from '@graphql-yoga/subscription';
import { Repeater } from '@repeaterjs/repeater';
import { type ChatEvent, type StreamEvent, TERMINAL_STREAM_EVENTS } from './events.ts';
import { type ConnectionRegistry, MemoryConnectionRegistry } from './connection-registry.ts';
import type { LiveState } from './live-state.ts';

export type Channels = {
  chat: [chatId: string, event: ChatEvent];
  stream: [streamId: string, events: StreamEvent[]];
  /** A stream to stop, wherever its generator runs. */
  cancel: [streamId: string];
};

/**
 * The live state of a replica: fan-out through a pub/sub (in memory, or Redis shared by
 * every replica), live connections in a registry, and the stream tasks this replica
 * runs. Subscriptions are Repeaters rather than async generators: a generator parked in
 * `await` cannot be returned until its next event, so a dropped client would keep
 * counting as a connection until the chat spoke again.
 */
export class LiveHub implements LiveState {
  private readonly tasks = new Map<string, AbortController>();
  private readonly cancels: AsyncIterableIterator<string | null>;
  private readonly running = new Set<Promise<void>>();
  /** Every open subscription: how to stop it, and when it has finished. */
  private readonly watchers = new Map<() => void, { kind: 'chat' | 'stream'; done: Promise<void> }>();

  constructor(
    private readonly pubsub: PubSub<Channels> = createPubSub<Channels>(),
    private readonly registry: ConnectionRegistry = new MemoryConnectionRegistry(),
    private readonly shutdownExtra: () => Promise<void> = async () => {},
  ) {
    const cancels = pubsub.subscribe('cancel');
    this.cancels = cancels;
    void (async () => {
      for await (const streamId of cancels) if (streamId) this.tasks.get(streamId)?.abort();
    })();
  }

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
      async () => {
        const handle = await this.registry.add(chatId);
        return () => this.registry.remove(chatId, handle);
      },
    );
  }

  watchStream(streamId: string): AsyncIterableIterator<StreamEvent> {
    return this.repeat<StreamEvent[], StreamEvent>(
      'stream',
      () => this.pubsub.subscribe('stream', streamId),
      (batch) => ({ values: batch, last: batch.some((e) => TERMINAL_STREAM_EVENTS.has(e.type)) }),
      async () => async () => {},
    );
  }

  activeConnections(chatId: string): Promise<number> {
    return this.registry.count(chatId);
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

  /** Aborts the task here at once, and tells the other replicas in case it runs there. */
  cancelTask(streamId: string): void {
    this.tasks.get(streamId)?.abort();
    this.pubsub.publish('cancel', streamId);
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
    await this.cancels.return?.();
    await this.registry.close();
    await this.shutdownExtra();
  }

  private repeat<In, Out>(
    kind: 'chat' | 'stream',
    subscribe: () => AsyncIterableIterator<In | null>,
    unpack: (value: In) => { values: readonly Out[]; last: boolean },
    /** Registers the subscription as a connection; the returned function unregisters it. */
    register: () => Promise<() => Promise<void>>,
  ): AsyncIterableIterator<Out> {
    return new Repeater<Out>(async (push, stop) => {
      const source = subscribe();
      // Asking for the first value joins the pub/sub now, before anything is awaited.
      const first = source.next();
      let finished!: () => void;
      this.watchers.set(stop, { kind, done: new Promise<void>((resolve) => (finished = resolve)) });
      void stop.then(() => source.return?.());
      const unregister = await register();
      try {
        for (let next = await first; !next.done; next = await source.next()) {
          const value = next.value;
          if (value === null) continue;
          const { values, last } = unpack(value);
          for (const v of values) await push(v);
          if (last) break;
        }
      } finally {
        await unregister().catch((error: unknown) => console.error('could not unregister a connection', error));
        this.watchers.delete(stop);
        stop();
        finished();
      }
    });
  }
}
