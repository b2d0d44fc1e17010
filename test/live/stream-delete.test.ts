import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import {
  CHAT_EVENTS,
  type LiveSub,
  Opened,
  STREAM_EVENTS,
  type Transport,
  cancelStream,
  connectionsReach,
  deleteChat,
  deleteStream,
  deleteThread,
  openSub,
  poll,
  range,
  readChat,
  readStream,
  seqs,
  startStream,
  storedMessages,
  storedStream,
  words,
} from './live.ts';

// Issue 3, "Done when": deleting a running stream mid-generation with a subscriber
// attached: the subscriber sees the terminal events, the stream's rows and events are
// gone, the generator stopped. Also for deleteThread and deleteChat on a RUNNING stream.
// docs/design.md#deletechat: active streams are cancelled first (their subscribers get a
// CANCELLED event); docs/design.md#deletestream: subscribers get a final DELETED event.

const PROMPT = words(300); // 300 tokens at 20 ms: about 6 s, far longer than any test step

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

/** A RUNNING stream with one streamEvents subscriber per transport, each having seen STARTED and 3 tokens. */
async function runningStream(transports: Transport[]) {
  const { flowId, chatId, threadId } = await chatWithMessages(t, 1);
  const { streamId, promptId } = await startStream(t, threadId, PROMPT);
  const subs: LiveSub[] = [];
  for (const transport of transports) subs.push(opened.track(await openSub(t, transport, STREAM_EVENTS, { id: streamId })));
  for (const s of subs) {
    // One read may bring more than four (SSE delivers what has arrived by then, on a busy
    // machine a fifth token too): the first four are what the stream must have begun with.
    const seen = await s.waitForEvents(4);
    expect(seen.slice(0, 4).map((e) => e.type)).toEqual(['STARTED', 'TOKEN', 'TOKEN', 'TOKEN']);
  }
  expect((await readStream(t, streamId))?.status).toBe('RUNNING');
  expect(t.app.live.runningTasks).toBe(1);
  return { flowId, chatId, threadId, streamId, promptId, subs };
}

/**
 * STARTED, TOKEN..., CANCELLED with seqs 1..n, then (when `deleted`) DELETED; then completed.
 * Soft assertions: a wrong ending is reported and the test's checks on storage still run.
 */
async function expectCancelledThen(sub: LiveSub, streamId: string, deleted: boolean) {
  expect.soft(await sub.waitForEnd(3000), 'how the subscription ended').toBe('completed');
  expect.soft(sub.errors).toEqual([]);
  const events = sub.events;
  const types: string[] = events.map((e) => e.type);
  const tail = deleted ? ['CANCELLED', 'DELETED'] : ['CANCELLED'];
  expect.soft(types.slice(-tail.length), 'the last events').toEqual(tail);
  expect.soft(types[0]).toBe('STARTED');
  for (const e of events) expect.soft(e.streamId).toBe(streamId);
  const cancelledAt = types.indexOf('CANCELLED');
  expect(cancelledAt, 'index of CANCELLED').toBeGreaterThan(0);
  const body = types.slice(1, cancelledAt);
  expect.soft(body.length).toBeGreaterThanOrEqual(3);
  expect.soft(body.every((x) => x === 'TOKEN')).toBe(true);
  // Every event up to CANCELLED, each once, in order; DELETED (never stored) comes after.
  expect.soft(seqs(events.slice(0, cancelledAt + 1))).toEqual(range(1, cancelledAt + 1));
  if (deleted && events[cancelledAt + 1]) expect.soft(events[cancelledAt + 1].seq).toBeGreaterThan(events[cancelledAt].seq);
  // The tokens are the prompt's words, in order.
  const text = events.filter((e) => e.type === 'TOKEN').map((e) => e.data).join('');
  expect.soft(PROMPT.startsWith(text)).toBe(true);
  return { cancelledSeq: events[cancelledAt].seq as number, tokenCount: body.length };
}

/** The generator stopped: no task left, and nothing more is written for the stream. */
async function expectGeneratorStopped(streamId: string) {
  expect(await poll(() => t.app.live.runningTasks, (n) => n === 0, 1000)).toBe(0);
  const now = await storedStream(t, streamId);
  await sleep(200);
  const later = await storedStream(t, streamId);
  expect(later).toEqual(now);
}

async function assistantMessagesOfChat(chatId: string) {
  return t.app.deps.store.db.selectFrom('messages').select('id').where('chat_id', '=', chatId).where('role', '=', 'ASSISTANT').execute();
}

describe.each<Transport>(['sse', 'ws'])('a RUNNING stream watched over %s', (transport) => {
  it('deleteStream mid-generation: the subscriber gets CANCELLED then DELETED and completes; rows and events are gone; the generator stopped', async () => {
    const s = await runningStream([transport]);
    const result = await deleteStream(t, s.streamId);
    expect(result).toMatchObject({ __typename: 'DeleteStreamSuccess', streamId: s.streamId, cancelled: true, previousStatus: 'RUNNING' });

    const { cancelledSeq } = await expectCancelledThen(s.subs[0]!, s.streamId, true);
    // Every stored event, CANCELLED included, was deleted; the subscriber saw each of them.
    expect(result.deletedEventCount).toBe(cancelledSeq);

    expect(await storedStream(t, s.streamId)).toEqual({ row: undefined, events: [] });
    expect(await readStream(t, s.streamId)).toBeNull();
    await expectGeneratorStopped(s.streamId);
    expect(await storedStream(t, s.streamId)).toEqual({ row: undefined, events: [] });

    // The thread keeps its messages (the prompt included) but no reply was committed.
    const messages = await storedMessages(t, s.threadId);
    expect(messages.map((m) => m.role)).toEqual(['USER', 'USER']);
    expect(messages.map((m) => m.id)).toContain(s.promptId);
    expect(await assistantMessagesOfChat(s.chatId)).toEqual([]);
  });

  it('deleteThread(permanent: true) mid-generation: CANCELLED then DELETED, completes; thread, messages, stream and events are gone; the generator stopped', async () => {
    const s = await runningStream([transport]);
    const result = await deleteThread(t, s.threadId, { permanent: true });
    expect(result).toMatchObject({
      __typename: 'DeleteThreadSuccess',
      id: s.threadId,
      permanentDelete: true,
      cancelledStreamCount: 1,
      deletedMessageCount: 2,
    });
    await expectCancelledThen(s.subs[0]!, s.streamId, true);

    expect(await storedStream(t, s.streamId)).toEqual({ row: undefined, events: [] });
    await expectGeneratorStopped(s.streamId);
    expect(await storedStream(t, s.streamId)).toEqual({ row: undefined, events: [] });
    expect(await storedMessages(t, s.threadId)).toEqual([]);
    expect(await t.app.deps.store.db.selectFrom('threads').select('id').where('id', '=', s.threadId).execute()).toEqual([]);
    expect(await assistantMessagesOfChat(s.chatId)).toEqual([]);
  });

  it('deleteChat(force: true) mid-generation: the stream subscriber gets CANCELLED then DELETED, the chat subscriber CHAT_DELETED; all gone; the generator stopped', async () => {
    const s = await runningStream([transport]);
    const chatSub = opened.track(await openSub(t, transport, CHAT_EVENTS, { chatId: s.chatId }));
    expect(await connectionsReach(t, s.chatId, 1)).toBe(1);

    const result = await deleteChat(t, s.chatId, { force: true });
    expect(result).toMatchObject({
      __typename: 'DeleteChatSuccess',
      chatId: s.chatId,
      cancelledStreamCount: 1,
      closedConnections: 1,
      deletedThreadCount: 1,
      deletedMessageCount: 2,
    });
    await expectCancelledThen(s.subs[0]!, s.streamId, true);
    expect(await chatSub.waitForEnd(2000)).toBe('completed');
    expect(chatSub.events.map((e) => e.type)).toEqual(['CHAT_DELETED']);

    expect(await storedStream(t, s.streamId)).toEqual({ row: undefined, events: [] });
    await expectGeneratorStopped(s.streamId);
    expect(await storedStream(t, s.streamId)).toEqual({ row: undefined, events: [] });
    expect(await readChat(t, s.chatId)).toBeNull();
    expect(await t.app.deps.store.db.selectFrom('messages').select('id').where('chat_id', '=', s.chatId).execute()).toEqual([]);
  });

  it('deleteThread (soft) mid-generation: the subscriber gets CANCELLED and completes (no DELETED: the stream stays, restorable); nothing more is written', async () => {
    const s = await runningStream([transport]);
    expect(await deleteThread(t, s.threadId)).toMatchObject({ __typename: 'DeleteThreadSuccess', softDelete: true, cancelledStreamCount: 1 });
    const { cancelledSeq } = await expectCancelledThen(s.subs[0]!, s.streamId, false);
    await expectGeneratorStopped(s.streamId);
    const stored = await storedStream(t, s.streamId);
    expect(stored.row?.status).toBe('CANCELLED');
    expect(stored.events.map((e) => e.seq)).toEqual(range(1, cancelledSeq));
    expect(stored.events.at(-1)?.type).toBe('CANCELLED');
    expect(await assistantMessagesOfChat(s.chatId)).toEqual([]);
  });

  it('cancelStream mid-generation: the subscriber gets CANCELLED and completes; the stream stays CANCELLED', async () => {
    const s = await runningStream([transport]);
    expect(await cancelStream(t, s.streamId)).toMatchObject({ __typename: 'CancelStreamSuccess', wasActive: true, stream: { status: 'CANCELLED' } });
    const { cancelledSeq } = await expectCancelledThen(s.subs[0]!, s.streamId, false);
    await expectGeneratorStopped(s.streamId);
    expect(await readStream(t, s.streamId)).toMatchObject({ status: 'CANCELLED', eventCount: cancelledSeq });
    expect(await assistantMessagesOfChat(s.chatId)).toEqual([]);
  });
});

describe('a RUNNING stream watched over SSE and WebSocket at once', () => {
  it('deleteStream ends both subscribers with the same CANCELLED then DELETED', async () => {
    const s = await runningStream(['sse', 'ws']);
    const chatSub = opened.track(await openSub(t, 'ws', CHAT_EVENTS, { chatId: s.chatId }));
    expect(await connectionsReach(t, s.chatId, 1)).toBe(1);
    expect(await deleteStream(t, s.streamId)).toMatchObject({ __typename: 'DeleteStreamSuccess', cancelled: true });
    const [a, b] = s.subs as [LiveSub, LiveSub];
    await expectCancelledThen(a, s.streamId, true);
    await expectCancelledThen(b, s.streamId, true);
    const strip = (e: any) => ({ seq: e.seq, type: e.type, data: e.data });
    expect(a.events.map(strip)).toEqual(b.events.map(strip));
    await expectGeneratorStopped(s.streamId);
    // The chat hears that the stream was deleted; the chat subscription itself goes on.
    expect(await chatSub.waitForEvent((e) => e.type === 'STREAM_DELETED')).toMatchObject({ streamId: s.streamId, threadId: s.threadId });
    expect(chatSub.state()).toBe('open');
  });
});
