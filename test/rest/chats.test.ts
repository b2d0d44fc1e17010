import { randomUUID } from 'node:crypto';
import { createClient as createWsClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { chatWithMessages, createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import {
  ISO,
  type SseReader,
  UUID,
  activeConnections,
  breakWrites,
  chatEventTypes,
  chatEventsSubscription,
  expectJson,
  gqlData,
  lastAudit,
  rest,
  rowCounts,
  waitFor,
  waitForStreamStatus,
  words,
} from './rest-helpers.ts';

// Seed 001: DELETE /api/v1/chats/{chat_id} with X-API-Key → 200 {success, message, deleted_at};
// error rows: 401 (invalid or missing key), 404 (missing or another tenant's), 409 (active
// connections), 500 (server error). Plus GET (the page's "check it exists first" flow).

let t: TestServer;
let subs: SseReader[] = [];
afterEach(async () => {
  for (const s of subs) s.abort();
  subs = [];
  await t?.close();
});

const UNAUTHENTICATED = { detail: 'A valid API key is required (x-api-key or Authorization: Bearer)' };
const BAD_KEY = { detail: 'The API key is not valid' };
const DELETED = { success: true, message: 'Chat deleted successfully', deleted_at: expect.stringMatching(ISO) };

async function rowsOfChat(server: TestServer, chatId: string) {
  const db = server.app.deps.store.db;
  const count = async (table: 'chats' | 'threads' | 'messages' | 'streams', column: 'id' | 'chat_id') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where(column, '=', chatId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    chats: await count('chats', 'id'),
    threads: await count('threads', 'chat_id'),
    messages: await count('messages', 'chat_id'),
    streams: await count('streams', 'chat_id'),
  };
}

async function openConnection(server: TestServer, chatId: string) {
  const sub = await chatEventsSubscription(server, chatId);
  subs.push(sub);
  expect(sub.status).toBe(200);
  expect(sub.contentType).toMatch(/^text\/event-stream\b/);
  expect(await waitFor(() => activeConnections(server, chatId), (n) => n === 1, 'one live connection')).toBe(1);
  return sub;
}

describe('DELETE /api/v1/chats/{chat_id}', () => {
  it("replays the page's cURL example: 200 with the page's body; the chat, its threads (soft-deleted too), messages, streams and events are gone", async () => {
    t = await startTestServer();
    const { flowId, chatId, threadId } = await chatWithMessages(t, 3);
    const second = await createThread(t, chatId, 'Second');
    await postMessage(t, second, { content: 'in the soft-deleted thread' });
    await gqlData(t, `mutation($id: ID!) { deleteThread(id: $id) { __typename } }`, { id: second });
    const started = await rest(t, 'POST', '/v1/messages/async', { key: t.keys.a, json: { thread_id: threadId, prompt: 'one two' } });
    await waitForStreamStatus(t, started.body.message_id, 'COMPLETED');
    // Another chat of the same flow, which must stay.
    const other = await createChat(t, flowId, 'Other');
    await postMessage(t, await createThread(t, other), { content: 'stays' });
    const before = await rowCounts(t);
    const counted = await rowsOfChat(t, chatId);
    expect(counted).toEqual({ chats: 1, threads: 2, messages: 6, streams: 1 });

    // curl -X DELETE "http://localhost:8000/api/v1/chats/a1b2c3d4-…" -H "X-API-Key: your-tenant-api-key"
    const r = await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.a });
    expectJson(r, 200, DELETED);

    expect(await rowsOfChat(t, chatId)).toEqual({ chats: 0, threads: 0, messages: 0, streams: 0 });
    expect(await rowCounts(t)).toEqual({
      ...before,
      chats: before.chats - 1,
      threads: before.threads - 2,
      messages: before.messages - 6,
      streams: before.streams - 1,
      stream_events: before.stream_events - 4,
      audit_log: before.audit_log + 1,
    });
    expect(await rowsOfChat(t, other)).toEqual({ chats: 1, threads: 1, messages: 1, streams: 0 });
    const audit = await lastAudit(t);
    expect({ ...audit, details: JSON.parse(audit?.details ?? 'null') }).toEqual({
      id: expect.stringMatching(UUID),
      tenant_id: expect.any(String),
      action: 'chat.delete',
      target_type: 'CHAT',
      target_id: chatId,
      actor: 'key-a',
      request_id: expect.any(String),
      details: { force: false, deletedThreadCount: 2, deletedMessageCount: 6, cancelledStreamCount: 0, closedConnections: 0, erasure: 'done' },
      at: r.body.deleted_at,
      seq: expect.any(Number),
    });
  });

  it('the page\'s "check it exists first" flow: GET 200, DELETE 200, then GET 404', async () => {
    t = await startTestServer();
    const { flowId, chatId } = await chatWithMessages(t, 2);
    const got = await rest(t, 'GET', `/api/v1/chats/${chatId}`, { key: t.keys.a });
    expectJson(got, 200, {
      id: chatId,
      flow_id: flowId,
      title: 'Chat',
      version: expect.any(Number),
      created_at: expect.stringMatching(ISO),
      updated_at: expect.stringMatching(ISO),
      message_count: 2,
      active_connections: 0,
    });
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.a }), 200, DELETED);
    expectJson(await rest(t, 'GET', `/api/v1/chats/${chatId}`, { key: t.keys.a }), 404, { detail: `Chat ${chatId} not found` });
  });

  it("the page's bulk example: several chats deleted in parallel all answer 200 and are all gone", async () => {
    t = await startTestServer();
    const flowId = await createFlow(t);
    const chatIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const chatId = await createChat(t, flowId, `Chat ${i}`);
      await postMessage(t, await createThread(t, chatId), { content: `m${i}` });
      chatIds.push(chatId);
    }
    const results = await Promise.all(chatIds.map((id) => rest(t, 'DELETE', `/api/v1/chats/${id}`, { key: t.keys.a })));
    for (const r of results) expectJson(r, 200, DELETED);
    const counts = await rowCounts(t);
    expect([counts.chats, counts.threads, counts.messages]).toEqual([0, 0, 0]);
  });

  it('cancels a running stream of the chat and deletes it', async () => {
    t = await startTestServer({ tokenIntervalMs: 20 });
    const { chatId, threadId } = await chatWithMessages(t, 0);
    const started = await rest(t, 'POST', '/v1/messages/async', { key: t.keys.a, json: { thread_id: threadId, prompt: words(300) } });
    await waitForStreamStatus(t, started.body.message_id, 'RUNNING');
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.a }), 200, DELETED);
    expect(JSON.parse((await lastAudit(t))?.details ?? '{}')).toMatchObject({ cancelledStreamCount: 1 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await rowsOfChat(t, chatId)).toEqual({ chats: 0, threads: 0, messages: 0, streams: 0 });
    expect((await rowCounts(t)).stream_events).toBe(0);
  });

  it('401: no key, an unknown key (nothing deleted); Authorization: Bearer is accepted as on GraphQL', async () => {
    t = await startTestServer();
    const { chatId } = await chatWithMessages(t, 1);
    const anon = await rest(t, 'DELETE', `/api/v1/chats/${chatId}`);
    expectJson(anon, 401, UNAUTHENTICATED);
    expect(anon.headers.get('www-authenticate')).toBe('ApiKey');
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: 'your-tenant-api-key' }), 401, BAD_KEY);
    expectJson(await rest(t, 'GET', `/api/v1/chats/${chatId}`), 401, UNAUTHENTICATED);
    expect(await rowsOfChat(t, chatId)).toEqual({ chats: 1, threads: 1, messages: 1, streams: 0 });
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { bearer: t.keys.a }), 200, DELETED);
  });

  it("404: a chat that does not exist, another tenant's chat (indistinguishable, and it stays), a second delete", async () => {
    t = await startTestServer();
    const { chatId } = await chatWithMessages(t, 1);
    const missing = randomUUID();
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${missing}`, { key: t.keys.a }), 404, { detail: `Chat ${missing} not found` });
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.b }), 404, { detail: `Chat ${chatId} not found` });
    expectJson(await rest(t, 'GET', `/api/v1/chats/${chatId}`, { key: t.keys.b }), 404, { detail: `Chat ${chatId} not found` });
    expect(await rowsOfChat(t, chatId)).toEqual({ chats: 1, threads: 1, messages: 1, streams: 0 });
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.a }), 200, DELETED);
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.a }), 404, { detail: `Chat ${chatId} not found` });
  });

  it('409: a live connection (chatEvents over SSE) blocks the delete and nothing changes; once it closes the delete succeeds', async () => {
    t = await startTestServer();
    const { chatId } = await chatWithMessages(t, 2);
    const sub = await openConnection(t, chatId);
    const before = await rowCounts(t);

    const r = await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.a });
    expectJson(r, 409, {
      detail: 'Chat has 1 active connection(s); retry when they have closed, or force the delete to end them',
      reason: 'ACTIVE_CONNECTIONS',
      active_connections: 1,
    });
    expect(await rowCounts(t)).toEqual(before);
    expect(sub.isEnded()).toBe(false);

    sub.abort();
    await waitFor(() => activeConnections(t, chatId), (n) => n === 0, 'the connection to close');
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.a }), 200, DELETED);
  });

  it('409 for the page\'s own example, an active WebSocket (graphql-ws) connection; ?force=true ends it with CHAT_DELETED', async () => {
    t = await startTestServer();
    const { chatId } = await chatWithMessages(t, 1);
    const client = createWsClient({ url: t.wsUrl, webSocketImpl: WebSocket, connectionParams: { 'x-api-key': t.keys.a }, retryAttempts: 0 });
    const received: string[] = [];
    let completed = false;
    const unsubscribe = client.subscribe(
      { query: 'subscription($c: ID!){ chatEvents(chatId:$c){ type } }', variables: { c: chatId } },
      {
        next: (p) => received.push((p.data as { chatEvents: { type: string } }).chatEvents.type),
        error: () => {},
        complete: () => {
          completed = true;
        },
      },
    );
    try {
      await waitFor(() => activeConnections(t, chatId), (n) => n === 1, 'the WebSocket connection');
      const before = await rowCounts(t);
      expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.a }), 409, {
        detail: 'Chat has 1 active connection(s); retry when they have closed, or force the delete to end them',
        reason: 'ACTIVE_CONNECTIONS',
        active_connections: 1,
      });
      expect(await rowCounts(t)).toEqual(before);
      expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}?force=true`, { key: t.keys.a }), 200, DELETED);
      await waitFor(async () => completed, (c) => c, 'the WebSocket subscription to complete');
      expect(received).toEqual(['CHAT_DELETED']);
    } finally {
      unsubscribe();
      await client.dispose();
    }
  });

  it('?force=true ends the live connections with CHAT_DELETED and deletes', async () => {
    t = await startTestServer();
    const { chatId } = await chatWithMessages(t, 2);
    const sub = await openConnection(t, chatId);
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}?force=true`, { key: t.keys.a }), 200, DELETED);
    expect(await sub.ended).toBe('eof');
    expect(chatEventTypes(sub)).toEqual(['CHAT_DELETED']);
    expect(sub.events.at(-1)?.event).toBe('complete');
    expect(await rowsOfChat(t, chatId)).toEqual({ chats: 0, threads: 0, messages: 0, streams: 0 });
    expect(JSON.parse((await lastAudit(t))?.details ?? '{}')).toEqual({
      force: true,
      deletedThreadCount: 1,
      deletedMessageCount: 2,
      cancelledStreamCount: 0,
      closedConnections: 1,
      erasure: 'done',
    });
  });

  it('422: a chat id that is not a UUID, a force flag that is not a boolean; nothing changes', async () => {
    t = await startTestServer();
    const { chatId } = await chatWithMessages(t, 1);
    const before = await rowCounts(t);
    expectJson(await rest(t, 'DELETE', '/api/v1/chats/a1b2c3d4', { key: t.keys.a }), 422, {
      detail: [{ loc: ['path', 'chat_id'], msg: 'must be a UUID', type: 'value_error' }],
    });
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}?force=maybe`, { key: t.keys.a }), 422, {
      detail: [{ loc: ['query', 'force'], msg: 'must be true or false', type: 'value_error' }],
    });
    expect(await rowCounts(t)).toEqual(before);
  });

  it('500: a server error processing the request changes nothing (the delete is atomic)', async () => {
    t = await startTestServer();
    const { chatId } = await chatWithMessages(t, 2);
    const before = await rowCounts(t);
    const unbreak = await breakWrites(t, 'audit_log', 'INSERT');
    expectJson(await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.a }), 500, { detail: 'Internal server error' });
    expect(await rowCounts(t)).toEqual(before);
    expect(await rowsOfChat(t, chatId)).toEqual({ chats: 1, threads: 1, messages: 2, streams: 0 });
    // Nothing half-done was left behind: once the fault is gone, the same delete goes through.
    await unbreak();
    expect((await rest(t, 'DELETE', `/api/v1/chats/${chatId}`, { key: t.keys.a })).status).toBe(200);
    expect(await rowsOfChat(t, chatId)).toEqual({ chats: 0, threads: 0, messages: 0, streams: 0 });
  });

  it('answers 405 with Allow for a method the route does not serve', async () => {
    t = await startTestServer();
    const { chatId } = await chatWithMessages(t, 0);
    const r = await rest(t, 'PUT', `/api/v1/chats/${chatId}`, { key: t.keys.a });
    expectJson(r, 405, { detail: 'Method Not Allowed', code: 'METHOD_NOT_ALLOWED' });
    expect(r.headers.get('allow')).toBe('GET, DELETE');
  });
});
