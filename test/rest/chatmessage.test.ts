import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type MessageFields, chatWithMessages, createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import {
  UUID,
  breakWrites,
  expectJson,
  lastAudit,
  rest,
  rowCounts,
  waitForStreamStatus,
  words,
} from './rest-helpers.ts';

// Seed 003 (Flowise): DELETE /api/v1/chatmessage/{id}?chatId&sessionId&memoryType&chatType
// &startDate&endDate&feedbackType&hardDelete&isClearFromViewMessageDialog → 200
// {"affected": N, "raw": []}; error rows 401, 404 (unknown flow), 412 (missing id), 500.
// docs/rest.md#common-rules: query values are parsed strictly (hardDelete=false is false,
// a bad date is an error).

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

const flowiseError = (statusCode: number, message: unknown) => ({ statusCode, success: false, message });

async function messagesOf(server: TestServer, column: 'flow_id' | 'chat_id' | 'thread_id', id: string) {
  return server.app.deps.store.db.selectFrom('messages').select(['id', 'content']).where(column, '=', id).orderBy('content').execute();
}

const contents = async (server: TestServer, column: 'flow_id' | 'chat_id' | 'thread_id', id: string) =>
  (await messagesOf(server, column, id)).map((m) => m.content);

async function post(server: TestServer, threadId: string, content: string, fields: MessageFields = {}) {
  return postMessage(server, threadId, { content, ...fields });
}

/** A stream run to completion through the seed 000 route; its prompt and reply are messages of the thread. */
async function completedStream(server: TestServer, threadId: string, prompt: string) {
  const r = await rest(server, 'POST', '/v1/messages/async', { key: server.keys.a, json: { thread_id: threadId, prompt } });
  expect(r.status).toBe(202);
  await waitForStreamStatus(server, r.body.message_id, 'COMPLETED');
  return r.body.message_id as string;
}

async function eventTypes(server: TestServer, streamId: string) {
  const rows = await server.app.deps.store.db.selectFrom('stream_events').select('type').where('stream_id', '=', streamId).orderBy('seq').execute();
  return rows.map((r) => r.type);
}

/**
 * One thread of rated and unrated exchanges:
 * q1 (INTERNAL) → a1 (INTERNAL, THUMBS_UP); q2 (EXTERNAL) → a2 (EXTERNAL, THUMBS_DOWN); q3 (EXTERNAL) → a3 (EXTERNAL).
 */
async function ratedThread(server: TestServer) {
  const flowId = await createFlow(server);
  const chatId = await createChat(server, flowId);
  const threadId = await createThread(server, chatId);
  await post(server, threadId, 'q1', { role: 'USER', chatType: 'INTERNAL' });
  await post(server, threadId, 'a1', { role: 'ASSISTANT', chatType: 'INTERNAL', feedback: 'THUMBS_UP' });
  await post(server, threadId, 'q2', { role: 'USER', chatType: 'EXTERNAL' });
  await post(server, threadId, 'a2', { role: 'ASSISTANT', chatType: 'EXTERNAL', feedback: 'THUMBS_DOWN' });
  await post(server, threadId, 'q3', { role: 'USER', chatType: 'EXTERNAL' });
  await post(server, threadId, 'a3', { role: 'ASSISTANT', chatType: 'EXTERNAL' });
  return { flowId, chatId, threadId };
}

describe("the page's example requests", () => {
  it('Delete All Messages: every message of the flow, none of another flow; audit as deleteMessages', async () => {
    t = await startTestServer();
    const { flowId } = await chatWithMessages(t, 4);
    const other = await chatWithMessages(t, 2);
    // curl -X DELETE 'https://your-flowise-instance.com/api/v1/chatmessage/abc123-def456-ghi789' -H 'Authorization: Bearer YOUR_API_KEY'
    const r = await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}`, { bearer: t.keys.a, headers: { 'X-Request-ID': 'req-003-all' } });
    expectJson(r, 200, { affected: 4, raw: [] });
    expect(await messagesOf(t, 'flow_id', flowId)).toEqual([]);
    expect(await contents(t, 'flow_id', other.flowId)).toEqual(['message 0', 'message 1']);
    const audit = await lastAudit(t);
    expect({ ...audit, details: JSON.parse(audit?.details ?? 'null') }).toEqual({
      id: expect.stringMatching(UUID),
      tenant_id: expect.any(String),
      action: 'messages.delete',
      target_type: 'FLOW',
      target_id: flowId,
      actor: 'key-a',
      request_id: 'req-003-all',
      details: { affected: 4, hardDelete: false, erasedEventCount: 0, filter: {} },
      at: expect.any(String),
      seq: expect.any(Number),
    });
  });

  it('Delete Specific Chat Session (?chatId=…&hardDelete=true): that chat only, and the cached stream text is erased too', async () => {
    t = await startTestServer();
    const flowId = await createFlow(t);
    const chatA = await createChat(t, flowId, 'A');
    const threadA = await createThread(t, chatA);
    const chatB = await createChat(t, flowId, 'B');
    const threadB = await createThread(t, chatB);
    const streamA = await completedStream(t, threadA, 'secret words here');
    const streamB = await completedStream(t, threadB, 'kept words here');
    await post(t, threadA, 'plain');

    // curl -X DELETE '…/api/v1/chatmessage/abc123-def456-ghi789?chatId=session-xyz&hardDelete=true' -H 'Authorization: Bearer YOUR_API_KEY'
    const r = await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}?chatId=${chatA}&hardDelete=true`, { bearer: t.keys.a });
    expectJson(r, 200, { affected: 3, raw: [] });
    expect(await messagesOf(t, 'chat_id', chatA)).toEqual([]);
    expect(await contents(t, 'chat_id', chatB)).toEqual(['kept words here', 'kept words here']);
    // The tokens that carried the deleted text are gone; the other chat's stay.
    expect(await eventTypes(t, streamA)).toEqual(['STARTED', 'COMPLETED']);
    expect(await eventTypes(t, streamB)).toEqual(['STARTED', 'TOKEN', 'TOKEN', 'TOKEN', 'COMPLETED']);
    expect(JSON.parse((await lastAudit(t))?.details ?? '{}')).toEqual({
      affected: 3,
      hardDelete: true,
      erasedEventCount: 3,
      filter: { chatId: chatA },
    });
  });

  it('Delete Messages by Date Range: exactly the 42 messages of January 2024, as in the example response', async () => {
    t = await startTestServer();
    const flowId = await createFlow(t);
    const threadId = await createThread(t, await createChat(t, flowId));
    await post(t, threadId, 'before', { createdAt: '2023-12-31T23:59:59.999Z' });
    await post(t, threadId, 'first', { createdAt: '2024-01-01T00:00:00.000Z' });
    for (let i = 0; i < 40; i++) {
      const day = String(2 + (i % 29)).padStart(2, '0');
      await post(t, threadId, `jan ${i}`, { createdAt: `2024-01-${day}T12:00:00.000Z` });
    }
    await post(t, threadId, 'last', { createdAt: '2024-01-31T23:59:59.000Z' });
    await post(t, threadId, 'after', { createdAt: '2024-02-01T00:00:00.000Z' });

    // curl -X DELETE '…/api/v1/chatmessage/abc123-def456-ghi789?startDate=2024-01-01T00:00:00Z&endDate=2024-01-31T23:59:59Z' -H 'Authorization: Bearer YOUR_API_KEY'
    const r = await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}?startDate=2024-01-01T00:00:00Z&endDate=2024-01-31T23:59:59Z`, {
      bearer: t.keys.a,
    });
    expectJson(r, 200, { affected: 42, raw: [] });
    expect(r.text).toBe('{"affected":42,"raw":[]}');
    expect(await contents(t, 'thread_id', threadId)).toEqual(['after', 'before']);
  });
});

describe('query parameters', () => {
  const FORMS = {
    repeated: 'feedbackType=THUMBS_UP&feedbackType=THUMBS_DOWN',
    'comma-separated': 'feedbackType=THUMBS_UP,THUMBS_DOWN',
    'a JSON array': `feedbackType=${encodeURIComponent('["THUMBS_UP","THUMBS_DOWN"]')}`,
  };

  it.each(Object.entries(FORMS))('feedbackType given %s: the rated messages and the USER messages that prompted them', async (_form, query) => {
    t = await startTestServer();
    const { flowId, threadId } = await ratedThread(t);
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}?${query}`, { bearer: t.keys.a }), 200, { affected: 4, raw: [] });
    expect(await contents(t, 'thread_id', threadId)).toEqual(['a3', 'q3']);
    expect(JSON.parse((await lastAudit(t))?.details ?? '{}').filter).toEqual({ feedbackTypes: ['THUMBS_UP', 'THUMBS_DOWN'] });
  });

  it.each([
    ['chatType=EXTERNAL', 4, ['a1', 'q1']],
    ['chatType=INTERNAL&chatType=EXTERNAL', 6, []],
    ['chatType=INTERNAL,EXTERNAL', 6, []],
    [`chatType=${encodeURIComponent('["INTERNAL"]')}`, 2, ['a2', 'a3', 'q2', 'q3']],
    ['feedbackType=THUMBS_UP', 2, ['a2', 'a3', 'q2', 'q3']],
    ['chatType=EXTERNAL&feedbackType=THUMBS_DOWN', 2, ['a1', 'a3', 'q1', 'q3']],
  ] as const)('%s deletes %i and leaves %j', async (query, affected, left) => {
    t = await startTestServer();
    const { flowId, threadId } = await ratedThread(t);
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}?${query}`, { bearer: t.keys.a }), 200, { affected, raw: [] });
    expect(await contents(t, 'thread_id', threadId)).toEqual(left);
  });

  it('sessionId and memoryType select by every given field; isClearFromViewMessageDialog is accepted', async () => {
    t = await startTestServer();
    const flowId = await createFlow(t);
    const threadId = await createThread(t, await createChat(t, flowId));
    await post(t, threadId, 's1-buffer', { sessionId: 's1', memoryType: 'Buffer Memory' });
    await post(t, threadId, 's1-redis', { sessionId: 's1', memoryType: 'Redis' });
    await post(t, threadId, 's2-buffer', { sessionId: 's2', memoryType: 'Buffer Memory' });
    const query = `sessionId=s1&memoryType=${encodeURIComponent('Buffer Memory')}&isClearFromViewMessageDialog=true`;
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}?${query}`, { bearer: t.keys.a }), 200, { affected: 1, raw: [] });
    expect(await contents(t, 'thread_id', threadId)).toEqual(['s1-redis', 's2-buffer']);
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}?sessionId=s2`, { bearer: t.keys.a }), 200, { affected: 1, raw: [] });
    expect(await contents(t, 'thread_id', threadId)).toEqual(['s1-redis']);
  });

  it('hardDelete=false is false: the cached stream events stay', async () => {
    t = await startTestServer();
    const { flowId, chatId, threadId } = await chatWithMessages(t, 0);
    const streamId = await completedStream(t, threadId, 'one two');
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}?chatId=${chatId}&hardDelete=false`, { bearer: t.keys.a }), 200, {
      affected: 2,
      raw: [],
    });
    expect(await eventTypes(t, streamId)).toEqual(['STARTED', 'TOKEN', 'TOKEN', 'COMPLETED']);
    expect(JSON.parse((await lastAudit(t))?.details ?? '{}')).toMatchObject({ hardDelete: false, erasedEventCount: 0 });
  });

  it('a value that does not parse is 400, never a silent match-all, and nothing is deleted', async () => {
    t = await startTestServer();
    const { flowId } = await chatWithMessages(t, 3);
    const before = await rowCounts(t);
    // Each answer names the query parameter at fault.
    const cases: [string, string][] = [
      ['hardDelete=maybe', 'hardDelete'],
      ['isClearFromViewMessageDialog=perhaps', 'isClearFromViewMessageDialog'],
      ['startDate=yesterday', 'startDate'],
      ['endDate=2024-02-30', 'endDate'],
      ['startDate=2024-01-01T25:00:00Z', 'startDate'],
      ['startDate=2024-02-01&endDate=2024-01-01', 'startDate'],
      ['chatType=PUBLIC', 'chatType'],
      [`feedbackType=${encodeURIComponent('["THUMBS_UP"')}`, 'feedbackType'],
      ['feedbackType=THUMBS_SIDEWAYS', 'feedbackType'],
    ];
    for (const [query, param] of cases) {
      const r = await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}?${query}`, { bearer: t.keys.a });
      expect({ query, status: r.status, body: r.body }).toEqual({
        query,
        status: 400,
        body: flowiseError(400, expect.stringMatching(new RegExp(`^Invalid query: .*\\b${param}\\b`))),
      });
      expect(r.contentType).toMatch(/^application\/json\b/);
    }
    expect(await rowCounts(t)).toEqual(before);
  });

  it('a bare endDate covers that whole day', async () => {
    t = await startTestServer();
    const flowId = await createFlow(t);
    const threadId = await createThread(t, await createChat(t, flowId));
    await post(t, threadId, 'late on the 31st', { createdAt: '2024-01-31T23:59:59.999Z' });
    await post(t, threadId, 'february', { createdAt: '2024-02-01T00:00:00.000Z' });
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}?startDate=2024-01-01&endDate=2024-01-31`, { bearer: t.keys.a }), 200, {
      affected: 1,
      raw: [],
    });
    expect(await contents(t, 'thread_id', threadId)).toEqual(['february']);
  });
});

describe('error rows', () => {
  it('401 Unauthorized: no key or an invalid key; nothing is deleted. X-API-Key works as on GraphQL', async () => {
    t = await startTestServer();
    const { flowId } = await chatWithMessages(t, 2);
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}`), 401, flowiseError(401, 'Unauthorized Access'));
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}`, { bearer: 'YOUR_API_KEY' }), 401, flowiseError(401, 'Unauthorized Access'));
    expect(await messagesOf(t, 'flow_id', flowId)).toHaveLength(2);
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}`, { key: t.keys.a }), 200, { affected: 2, raw: [] });
  });

  it("404 Not Found: a chatflow that does not exist, or another tenant's (whose messages stay)", async () => {
    t = await startTestServer();
    const { flowId } = await chatWithMessages(t, 2);
    const missing = randomUUID();
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${missing}`, { bearer: t.keys.a }), 404, flowiseError(404, `Chatflow ${missing} not found`));
    expectJson(await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}`, { bearer: t.keys.b }), 404, flowiseError(404, `Chatflow ${flowId} not found`));
    expect(await messagesOf(t, 'flow_id', flowId)).toHaveLength(2);
  });

  it("404 Not Found: the page's own example id (abc123-def456-ghi789) names no chatflow", async () => {
    t = await startTestServer();
    await chatWithMessages(t, 2);
    const before = await rowCounts(t);
    // curl -X DELETE 'https://your-flowise-instance.com/api/v1/chatmessage/abc123-def456-ghi789' -H 'Authorization: Bearer YOUR_API_KEY'
    expectJson(
      await rest(t, 'DELETE', '/api/v1/chatmessage/abc123-def456-ghi789', { bearer: t.keys.a }),
      404,
      flowiseError(404, 'Chatflow abc123-def456-ghi789 not found'),
    );
    expect(await rowCounts(t)).toEqual(before);
  });

  it.each(['/api/v1/chatmessage/', '/api/v1/chatmessage'])('412 Precondition Failed: DELETE %s without the id', async (path) => {
    t = await startTestServer();
    await chatWithMessages(t, 1);
    const before = await rowCounts(t);
    expectJson(await rest(t, 'DELETE', path, { bearer: t.keys.a }), 412, flowiseError(412, expect.stringMatching(/not provided/)));
    expect(await rowCounts(t)).toEqual(before);
  });

  it('409 while a stream is still writing to a thread of the selected messages; nothing is deleted', async () => {
    t = await startTestServer({ tokenIntervalMs: 20 });
    const { flowId, threadId } = await chatWithMessages(t, 2);
    const started = await rest(t, 'POST', '/v1/messages/async', { key: t.keys.a, json: { thread_id: threadId, prompt: words(300) } });
    await waitForStreamStatus(t, started.body.message_id, 'RUNNING');
    const before = await messagesOf(t, 'flow_id', flowId);
    expectJson(
      await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}`, { bearer: t.keys.a }),
      409,
      flowiseError(409, 'A stream is still writing to a thread of these messages; cancel it or retry when it finishes'),
    );
    expect(await messagesOf(t, 'flow_id', flowId)).toEqual(before);
  });

  it('500 Internal Server Error: a failure while clearing changes nothing and answers in the Flowise error shape', async () => {
    t = await startTestServer();
    const { flowId } = await chatWithMessages(t, 3);
    const before = await rowCounts(t);
    await breakWrites(t, 'audit_log', 'INSERT');
    const r = await rest(t, 'DELETE', `/api/v1/chatmessage/${flowId}`, { bearer: t.keys.a });
    expect(await rowCounts(t)).toEqual(before);
    expectJson(r, 500, flowiseError(500, expect.any(String)));
  });
});
