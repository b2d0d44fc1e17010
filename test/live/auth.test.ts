import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatWithMessages, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import {
  CHAT_EVENTS,
  Opened,
  STREAM_EVENTS,
  type Transport,
  activeConnections,
  connectionsReach,
  deleteChat,
  openSub,
  startStream,
  waitForStreamStatus,
  words,
} from './live.ts';

// Issue 3: subscriptions "authenticated with the same API key (connection params for
// WebSocket) and tenant-scoped". docs/design.md#authentication-and-permissions: a missing
// or unknown key: HTTP 401 and UNAUTHENTICATED; another tenant's resource is indistinguishable from a missing one.

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

describe('WebSocket authentication', () => {
  it.each([
    ['without a key', null],
    ['with an unknown key', 'cgw_never-issued-key'],
  ])('%s: the socket is closed with 4403 and the subscription errors, with no event', async (_name, key) => {
    const { chatId } = await chatWithMessages(t, 0);
    const sub = opened.track(await openSub(t, 'ws', CHAT_EVENTS, { chatId }, { key }));
    expect(await sub.waitForEnd(3000)).toBe('errored');
    expect(sub.closeCode).toBe(4403);
    expect(sub.events).toEqual([]);
    expect(await activeConnections(t, chatId)).toBe(0);
  });

  it('accepts the key as a Bearer Authorization connection param too', async () => {
    const { chatId } = await chatWithMessages(t, 0);
    const { createClient } = await import('graphql-ws');
    const { WebSocket } = await import('ws');
    const client = opened.client(
      createClient({ url: t.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { Authorization: `Bearer ${t.keys.a}` } }),
    );
    opened.track(await openSub(t, 'ws', CHAT_EVENTS, { chatId }, { wsClient: client }));
    expect(await connectionsReach(t, chatId, 1)).toBe(1);
  });
});

describe('SSE authentication', () => {
  it.each([
    ['without a key', null],
    ['with an unknown key', 'cgw_never-issued-key'],
  ])('%s: HTTP 401 with UNAUTHENTICATED and no event', async (_name, key) => {
    const { chatId } = await chatWithMessages(t, 0);
    const sub = opened.track(await openSub(t, 'sse', CHAT_EVENTS, { chatId }, { key }));
    await sub.waitForEnd(3000);
    expect(sub.httpStatus).toBe(401);
    expect(sub.state()).not.toBe('open');
    expect(sub.events).toEqual([]);
    expect(sub.errors.map((e: any) => e?.extensions?.code)).toContain('UNAUTHENTICATED');
    expect(await activeConnections(t, chatId)).toBe(0);
  });

  it('the graphql-sse client without a key gets a 401 network error and no event', async () => {
    const { chatId } = await chatWithMessages(t, 0);
    const sub = opened.track(await openSub(t, 'graphql-sse', CHAT_EVENTS, { chatId }, { key: null }));
    expect(await sub.waitForEnd(3000)).toBe('errored');
    expect(sub.httpStatus).toBe(401);
    expect(sub.events).toEqual([]);
    expect(await activeConnections(t, chatId)).toBe(0);
  });
});

describe.each<Transport>(['sse', 'graphql-sse', 'ws'])('tenant isolation over %s', (transport) => {
  it("tenant B subscribing to A's chat gets NOT_FOUND, never events, and is not counted", async () => {
    const { chatId, threadId } = await chatWithMessages(t, 1);
    const sub = opened.track(await openSub(t, transport, CHAT_EVENTS, { chatId }, { key: t.keys.b }));
    await sub.waitForEnd(3000);
    expect(sub.state()).not.toBe('open');
    expect(sub.events).toEqual([]);
    expect(sub.errors.map((e: any) => e?.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await activeConnections(t, chatId)).toBe(0);

    // A's activity is not leaked afterwards, and nothing blocks A's delete.
    await postMessage(t, threadId, { content: 'private' });
    await createThread(t, chatId, 'private thread');
    await sleep(100);
    expect(sub.events).toEqual([]);
    expect(await deleteChat(t, chatId)).toMatchObject({ __typename: 'DeleteChatSuccess', closedConnections: 0 });
  });

  it("tenant B subscribing to A's stream (running or finished) gets NOT_FOUND and never an event", async () => {
    const { threadId } = await chatWithMessages(t, 0);
    const running = (await startStream(t, threadId, words(100))).streamId;
    const finished = (await startStream(t, threadId, 'short and done')).streamId;
    await waitForStreamStatus(t, finished, 'COMPLETED');
    for (const id of [running, finished]) {
      const sub = opened.track(await openSub(t, transport, STREAM_EVENTS, { id }, { key: t.keys.b }));
      await sub.waitForEnd(3000);
      expect(sub.state()).not.toBe('open');
      expect(sub.events).toEqual([]);
      expect(sub.errors.map((e: any) => e?.extensions?.code)).toEqual(['NOT_FOUND']);
    }
  });
});

describe.each<Transport>(['sse', 'ws'])('unknown ids over %s', (transport) => {
  it('a subscription to a stream or chat that never existed errors with NOT_FOUND', async () => {
    const stream = opened.track(await openSub(t, transport, STREAM_EVENTS, { id: '00000000-0000-4000-8000-000000000000' }));
    const chat = opened.track(await openSub(t, transport, CHAT_EVENTS, { chatId: '00000000-0000-4000-8000-000000000000' }));
    for (const sub of [stream, chat]) {
      await sub.waitForEnd(3000);
      expect(sub.state()).not.toBe('open');
      expect(sub.events).toEqual([]);
      expect(sub.errors.map((e: any) => e?.extensions?.code)).toEqual(['NOT_FOUND']);
    }
  });
});
