import { Repeater } from '@repeaterjs/repeater';
import { type ChatEvent, type StreamEvent, TERMINAL_STREAM_EVENTS } from '../live/events.ts';
import { requireChat } from './chats.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { ACTIVE_STATUSES } from '../data/streams.repository.ts';
import { getStreams, requireStream, streamEventsAfter } from './streams.ts';
import { Checker } from './validation.ts';

const REPLAY_PAGE = 500;

/** Every change to a tenant's chat; the iteration counts as a live connection on it. */
export async function watchChat(deps: Deps, scope: Scope, chatId: string): Promise<AsyncIterableIterator<ChatEvent>> {
  const check = new Checker();
  const id = check.id(['chatId'], chatId);
  check.done();
  await requireChat(deps, scope, id);
  return deps.live.watchChat(id);
}

/**
 * Cached events after `afterSeq`, then live ones, without gap or duplicate, ending after
 * the terminal event. The live feed is joined before the cache is read, and every
 * event at or below the last seq already sent is dropped. The live feed itself ends
 * after the batch holding a terminal event, so a CANCELLED published together with
 * the DELETED of the same delete reaches the client with it.
 */
export async function watchStream(
  deps: Deps,
  scope: Scope,
  streamId: string,
  afterSeq: number,
): Promise<AsyncIterableIterator<StreamEvent>> {
  const check = new Checker();
  const id = check.id(['id'], streamId);
  check.done();
  await requireStream(deps, scope, id);
  return new Repeater<StreamEvent>(async (push, stop) => {
    const live = deps.live.watchStream(id);
    // Asking for the first live event starts the subscription now, before the replay.
    const firstLive = live.next();
    void stop.then(() => live.return?.());
    let last = afterSeq;
    const send = async (event: StreamEvent): Promise<boolean> => {
      if (event.seq <= last && event.type !== 'DELETED') return false;
      last = Math.max(last, event.seq);
      await push(event);
      return TERMINAL_STREAM_EVENTS.has(event.type);
    };
    const replay = async (): Promise<boolean> => {
      for (;;) {
        const cached = await streamEventsAfter(deps, id, last, REPLAY_PAGE);
        for (const event of cached) if (await send(event)) return true;
        if (cached.length < REPLAY_PAGE) return false;
      }
    };
    try {
      if (await replay()) return;
      // A client that has seen the end already (afterSeq at the terminal event) gets a complete.
      const [now] = await getStreams(deps, scope, [id]);
      if (!now || !ACTIVE_STATUSES.includes(now.status)) {
        await replay();
        return;
      }
      for (let next = await firstLive; !next.done; next = await live.next()) await send(next.value);
    } finally {
      await live.return?.();
      stop();
    }
  });
}
