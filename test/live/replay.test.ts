import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import { Opened, STREAM_EVENTS, type Transport, openSub, range, readStream, seqs, startStream, storedStream, waitForStreamStatus, words } from './live.ts';

// Issue 3: "streamEvents replays cached events after afterSeq, then follows live ones
// without gap or duplicate, and completes after the terminal event; a client that
// reconnects with its last seq loses nothing." Done when: "replay with afterSeq after a
// disconnect".

const WORDS = 40;
const PROMPT = words(WORDS); // 40 tokens at 20 ms: the stream runs for about a second
const TOTAL = WORDS + 2; // STARTED, 40 TOKEN, COMPLETED

let t: TestServer;
let opened: Opened;
beforeEach(async () => {
  t = await startTestServer({ tokenIntervalMs: 20 });
  opened = new Opened();
});
afterEach(async () => {
  await opened.closeAll();
  await t.close();
});

async function runningStream() {
  const { threadId } = await chatWithMessages(t, 0);
  return (await startStream(t, threadId, PROMPT)).streamId;
}

function watch(transport: Transport, id: string, afterSeq?: number) {
  return openSub(t, transport, STREAM_EVENTS, afterSeq === undefined ? { id } : { id, afterSeq }).then((s) => opened.track(s));
}

/** The whole stream, each seq once and in order: STARTED, every word, COMPLETED. */
async function expectWholeStream(streamId: string, events: any[]) {
  expect(seqs(events)).toEqual(range(1, TOTAL));
  expect(events.map((e) => e.type)).toEqual(['STARTED', ...Array<string>(WORDS).fill('TOKEN'), 'COMPLETED']);
  expect(events.filter((e) => e.type === 'TOKEN').map((e) => e.data).join('')).toBe(PROMPT);
  for (const e of events) expect(e.streamId).toBe(streamId);
  // What the subscribers saw is exactly what is stored.
  const stored = await storedStream(t, streamId);
  expect(events.map((e) => ({ seq: e.seq, type: e.type, data: e.data, at: e.at }))).toEqual(
    stored.events.map((e) => ({ seq: e.seq, type: e.type, data: e.data, at: e.at })),
  );
}

const PAIRS: [Transport, Transport][] = [
  ['sse', 'sse'],
  ['ws', 'ws'],
  ['sse', 'ws'],
  ['ws', 'sse'],
];

describe.each(PAIRS)('disconnect over %s, resubscribe over %s with afterSeq', (before, after) => {
  it('loses nothing and repeats nothing: the two sessions together hold seq 1..last once each, ending with COMPLETED', async () => {
    const streamId = await runningStream();
    const first = await watch(before, streamId);
    await first.waitForEvents(5);
    await first.close();
    const firstEvents = [...first.events];
    expect(firstEvents.length).toBeGreaterThanOrEqual(5);
    const lastSeen = firstEvents.at(-1)!.seq as number;

    await sleep(150); // the stream goes on while the client is away
    expect((await readStream(t, streamId))?.status).toBe('RUNNING'); // so the second session replays, then follows live

    const second = await watch(after, streamId, lastSeen);
    expect(await second.waitForEnd(10_000)).toBe('completed');
    expect(second.errors).toEqual([]);
    expect(second.events[0]?.seq).toBe(lastSeen + 1);
    await expectWholeStream(streamId, [...firstEvents, ...second.events]);
  });
});

describe.each<Transport>(['sse', 'ws'])('streamEvents over %s', (transport) => {
  it('a subscriber that joins mid-stream without afterSeq gets every event once, from seq 1', async () => {
    const streamId = await runningStream();
    // Let part of the stream be written before joining.
    await waitForStreamStatus(t, streamId, 'RUNNING');
    await sleep(120);
    expect((await storedStream(t, streamId)).events.length).toBeGreaterThan(1);
    const sub = await watch(transport, streamId);
    expect(await sub.waitForEnd(10_000)).toBe('completed');
    await expectWholeStream(streamId, sub.events);
  });

  it('a client reconnecting again and again with its last seq sees the whole stream exactly once', async () => {
    const streamId = await runningStream();
    const all: any[] = [];
    let sessions = 0;
    for (;;) {
      sessions++;
      const last = all.at(-1)?.seq as number | undefined;
      const sub = await watch(transport, streamId, last);
      await sub.waitForEvents(4, 5000);
      if (sub.state() === 'completed') {
        all.push(...sub.events);
        break;
      }
      await sub.close();
      all.push(...sub.events);
      expect(sessions).toBeLessThan(60);
    }
    expect(sessions).toBeGreaterThan(3);
    await expectWholeStream(streamId, all);
  });

  it('subscribing to a finished stream replays all of it, then completes', async () => {
    const streamId = await runningStream();
    await waitForStreamStatus(t, streamId, 'COMPLETED');
    const sub = await watch(transport, streamId);
    expect(await sub.waitForEnd(3000)).toBe('completed');
    await expectWholeStream(streamId, sub.events);

    const tailOnly = await watch(transport, streamId, TOTAL - 2);
    expect(await tailOnly.waitForEnd(3000)).toBe('completed');
    expect(tailOnly.events.map((e) => [e.seq, e.type])).toEqual([
      [TOTAL - 1, 'TOKEN'],
      [TOTAL, 'COMPLETED'],
    ]);
  });

  it('a client that already saw the terminal event and resubscribes with its seq gets a complete, not an endless wait', async () => {
    const streamId = await runningStream();
    await waitForStreamStatus(t, streamId, 'COMPLETED');
    const sub = await watch(transport, streamId, TOTAL);
    expect(await sub.waitForEnd(2000)).toBe('completed');
    expect(sub.events).toEqual([]);
  });
});
