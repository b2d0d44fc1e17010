import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import {
  ISO,
  UUID,
  expectJson,
  lastAudit,
  rest,
  rowCounts,
  streamEvents,
  waitForStreamStatus,
  words,
} from './rest-helpers.ts';

// Seed 000: the async chat stream API. Initiate, observe (SSE), status, cancel and
// DELETE /v1/messages/async/:message_id/delete → 204 with no body; 401, 404, 422.

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

const UNAUTHENTICATED = { detail: 'A valid API key is required (x-api-key or Authorization: Bearer)' };
const BAD_KEY = { detail: 'The API key is not valid' };

async function initiate(server: TestServer, threadId: string, prompt: string, key = server.keys.a) {
  const r = await rest(server, 'POST', '/v1/messages/async', { key, json: { thread_id: threadId, prompt } });
  expect(r.status, r.text).toBe(202);
  return r.body as { message_id: string; prompt_message_id: string };
}

async function completedStream(server: TestServer, prompt = 'alpha beta gamma') {
  const { threadId } = await chatWithMessages(server, 0);
  const { message_id } = await initiate(server, threadId, prompt);
  await waitForStreamStatus(server, message_id, 'COMPLETED');
  return { threadId, streamId: message_id };
}

const eventData = (streamId: string, seq: number, type: string, data: string | null) => ({
  streamId,
  seq,
  type,
  data,
  at: expect.stringMatching(ISO),
});

describe('POST /v1/messages/async (initiate)', () => {
  it('answers 202 with the queued stream and stores the prompt as a USER message', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 0);
    const r = await rest(t, 'POST', '/v1/messages/async', { key: t.keys.a, json: { thread_id: threadId, prompt: 'hello there' } });
    expectJson(r, 202, {
      message_id: expect.stringMatching(UUID),
      status: 'queued',
      thread_id: threadId,
      prompt_message_id: expect.stringMatching(UUID),
      events_url: `/v1/messages/async/${r.body?.message_id}/events`,
      status_url: `/v1/messages/async/${r.body?.message_id}/status`,
    });
    const prompt = await t.app.deps.store.db.selectFrom('messages').selectAll().where('id', '=', r.body.prompt_message_id).executeTakeFirst();
    expect(prompt).toMatchObject({ thread_id: threadId, role: 'USER', content: 'hello there' });
  });

  it('answers 422 naming the missing body fields, 404 for an unknown thread, 401 without a key', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 0);
    const before = await rowCounts(t);

    expectJson(await rest(t, 'POST', '/v1/messages/async', { key: t.keys.a, json: { thread_id: threadId } }), 422, {
      detail: [{ loc: ['body', 'prompt'], msg: 'is required (a string)', type: 'value_error' }],
    });
    const missing = randomUUID();
    expectJson(await rest(t, 'POST', '/v1/messages/async', { key: t.keys.a, json: { thread_id: missing, prompt: 'x' } }), 404, {
      detail: `Thread ${missing} not found`,
    });
    const anon = await rest(t, 'POST', '/v1/messages/async', { json: { thread_id: threadId, prompt: 'x' } });
    expectJson(anon, 401, UNAUTHENTICATED);
    expect(await rowCounts(t)).toEqual(before);
  });

  it("locates the stream's own checks by the body's field names: a malformed thread_id, an empty prompt", async () => {
    t = await startTestServer();
    const before = await rowCounts(t);
    expectJson(await rest(t, 'POST', '/v1/messages/async', { key: t.keys.a, json: { thread_id: 'not-a-uuid', prompt: ' ' } }), 422, {
      detail: [
        { loc: ['body', 'thread_id'], msg: 'must be a UUID', type: 'value_error' },
        { loc: ['body', 'prompt'], msg: 'must not be empty', type: 'value_error' },
      ],
    });
    expect(await rowCounts(t)).toEqual(before);
  });
});

describe('GET /v1/messages/async/{message_id}/events (SSE)', () => {
  it('streams every event as id: seq, event: type, data: JSON and ends after the terminal event', async () => {
    t = await startTestServer();
    const { streamId } = await completedStream(t, 'alpha beta gamma');
    const sse = await streamEvents(t, streamId, { key: t.keys.a });
    expect(sse.status).toBe(200);
    expect(sse.contentType).toMatch(/^text\/event-stream\b/);
    expect(await sse.ended).toBe('eof');
    expect(sse.events.map((e) => ({ id: e.id, event: e.event, data: JSON.parse(e.data) }))).toEqual([
      { id: '1', event: 'started', data: eventData(streamId, 1, 'STARTED', null) },
      { id: '2', event: 'token', data: eventData(streamId, 2, 'TOKEN', 'alpha') },
      { id: '3', event: 'token', data: eventData(streamId, 3, 'TOKEN', ' beta') },
      { id: '4', event: 'token', data: eventData(streamId, 4, 'TOKEN', ' gamma') },
      { id: '5', event: 'completed', data: eventData(streamId, 5, 'COMPLETED', null) },
    ]);
  });

  it('follows a running stream live from the first event to the last, without gap or duplicate', async () => {
    t = await startTestServer({ tokenIntervalMs: 10 });
    const { threadId } = await chatWithMessages(t, 0);
    const { message_id } = await initiate(t, threadId, words(20));
    const sse = await streamEvents(t, message_id, { key: t.keys.a });
    expect(sse.contentType).toMatch(/^text\/event-stream\b/);
    expect(await sse.ended).toBe('eof');
    expect(sse.events.map((e) => Number(e.id))).toEqual(Array.from({ length: 22 }, (_, i) => i + 1));
    expect(sse.events.map((e) => e.event)).toEqual(['started', ...Array(20).fill('token'), 'completed']);
  });

  it('resumes after Last-Event-ID, or after ?after_seq (Last-Event-ID wins when both are sent)', async () => {
    t = await startTestServer();
    const { streamId } = await completedStream(t, 'alpha beta gamma');

    const resumed = await streamEvents(t, streamId, { key: t.keys.a, lastEventId: '2' });
    await resumed.ended;
    expect(resumed.events.map((e) => [e.id, e.event])).toEqual([
      ['3', 'token'],
      ['4', 'token'],
      ['5', 'completed'],
    ]);

    const byQuery = await streamEvents(t, streamId, { key: t.keys.a, query: '?after_seq=4' });
    await byQuery.ended;
    expect(byQuery.events.map((e) => [e.id, e.event])).toEqual([['5', 'completed']]);

    const both = await streamEvents(t, streamId, { key: t.keys.a, lastEventId: '3', query: '?after_seq=1' });
    await both.ended;
    expect(both.events.map((e) => e.id)).toEqual(['4', '5']);
  });

  it('answers 422 for a malformed resume point, 404, 401 and 422 as the other routes do', async () => {
    t = await startTestServer();
    const { streamId } = await completedStream(t);
    const bad = await streamEvents(t, streamId, { key: t.keys.a, query: '?after_seq=-1' });
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({
      detail: [
        { loc: ['query', 'after_seq'], msg: 'must be a non-negative integer (the seq of the last event received)', type: 'value_error' },
      ],
    });
    const missing = randomUUID();
    const notFound = await streamEvents(t, missing, { key: t.keys.a });
    expect([notFound.status, notFound.body]).toEqual([404, { detail: `Stream ${missing} not found` }]);
    const anon = await streamEvents(t, streamId, {});
    expect([anon.status, anon.body]).toEqual([401, UNAUTHENTICATED]);
    const malformed = await streamEvents(t, 'message_id', { key: t.keys.a });
    expect([malformed.status, malformed.body]).toEqual([
      422,
      { detail: [{ loc: ['path', 'message_id'], msg: 'must be a UUID', type: 'value_error' }] },
    ]);
  });
});

describe('GET /v1/messages/async/{message_id}/status and POST .../cancel', () => {
  it('reports a completed stream', async () => {
    t = await startTestServer();
    const { threadId, streamId } = await completedStream(t, 'alpha beta gamma');
    const assistant = await t.app.deps.store.db
      .selectFrom('messages')
      .select('id')
      .where('thread_id', '=', threadId)
      .where('role', '=', 'ASSISTANT')
      .executeTakeFirstOrThrow();
    expectJson(await rest(t, 'GET', `/v1/messages/async/${streamId}/status`, { key: t.keys.a }), 200, {
      message_id: streamId,
      thread_id: threadId,
      status: 'completed',
      version: expect.any(Number),
      event_count: 5,
      created_at: expect.stringMatching(ISO),
      started_at: expect.stringMatching(ISO),
      finished_at: expect.stringMatching(ISO),
      response_message_id: assistant.id,
    });
  });

  it('cancels a running stream once; its observers get the cancelled event and the stream ends', async () => {
    t = await startTestServer({ tokenIntervalMs: 20 });
    const { threadId } = await chatWithMessages(t, 0);
    const { message_id } = await initiate(t, threadId, words(500));
    await waitForStreamStatus(t, message_id, 'RUNNING');
    const sse = await streamEvents(t, message_id, { key: t.keys.a });
    await sse.waitForEvents(2);

    const r = await rest(t, 'POST', `/v1/messages/async/${message_id}/cancel`, { key: t.keys.a });
    expectJson(r, 200, {
      message_id,
      thread_id: threadId,
      status: 'cancelled',
      version: expect.any(Number),
      event_count: expect.any(Number),
      created_at: expect.stringMatching(ISO),
      started_at: expect.stringMatching(ISO),
      finished_at: expect.stringMatching(ISO),
      response_message_id: null,
      was_active: true,
    });
    expect(await sse.ended).toBe('eof');
    expect(sse.events.at(-1)?.event).toBe('cancelled');

    const again = await rest(t, 'POST', `/v1/messages/async/${message_id}/cancel`, { key: t.keys.a });
    expect([again.status, again.body?.status, again.body?.was_active]).toEqual([200, 'cancelled', false]);
  });

  it.each(['status', 'cancel'])('%s: 401 without a key, 404 for a missing or foreign stream, 422 for a malformed id', async (action) => {
    t = await startTestServer();
    const { streamId } = await completedStream(t);
    const method = action === 'status' ? 'GET' : 'POST';
    expectJson(await rest(t, method, `/v1/messages/async/${streamId}/${action}`), 401, UNAUTHENTICATED);
    expectJson(await rest(t, method, `/v1/messages/async/${streamId}/${action}`, { key: 'not-a-key' }), 401, BAD_KEY);
    expectJson(await rest(t, method, `/v1/messages/async/${streamId}/${action}`, { key: t.keys.b }), 404, {
      detail: `Stream ${streamId} not found`,
    });
    const missing = randomUUID();
    expectJson(await rest(t, method, `/v1/messages/async/${missing}/${action}`, { key: t.keys.a }), 404, {
      detail: `Stream ${missing} not found`,
    });
    expectJson(await rest(t, method, `/v1/messages/async/not-a-uuid/${action}`, { key: t.keys.a }), 422, {
      detail: [{ loc: ['path', 'message_id'], msg: 'must be a UUID', type: 'value_error' }],
    });
  });
});

describe('DELETE /v1/messages/async/{message_id}/delete', () => {
  it("replays the page's curl: 204 with no body; stream, cached events and audit as deleteStream; the status endpoint then says 404", async () => {
    t = await startTestServer();
    const { threadId, streamId } = await completedStream(t, 'alpha beta gamma');
    const before = await rowCounts(t);

    // $ curl -X DELETE https://host.com/v1/messages/async/message_id/delete
    const r = await rest(t, 'DELETE', `/v1/messages/async/${streamId}/delete`, { key: t.keys.a });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.contentType).toBeNull();

    const db = t.app.deps.store.db;
    expect(await db.selectFrom('streams').selectAll().where('id', '=', streamId).execute()).toEqual([]);
    expect(await db.selectFrom('stream_events').selectAll().where('stream_id', '=', streamId).execute()).toEqual([]);
    // The reply a COMPLETED stream committed belongs to the thread and stays.
    const messages = await db.selectFrom('messages').select(['role', 'content']).where('thread_id', '=', threadId).orderBy('created_at').execute();
    expect(messages).toEqual([
      { role: 'USER', content: 'alpha beta gamma' },
      { role: 'ASSISTANT', content: 'alpha beta gamma' },
    ]);
    expect(await rowCounts(t)).toEqual({ ...before, streams: before.streams - 1, stream_events: before.stream_events - 5, audit_log: before.audit_log + 1 });
    const audit = await lastAudit(t);
    expect({ ...audit, details: JSON.parse(audit!.details ?? 'null') }).toEqual({
      id: expect.stringMatching(UUID),
      tenant_id: expect.any(String),
      action: 'stream.delete',
      target_type: 'STREAM',
      target_id: streamId,
      actor: 'key-a',
      request_id: expect.any(String),
      details: { previousStatus: 'COMPLETED', cancelled: false, deletedEventCount: 5 },
      at: expect.stringMatching(ISO),
      seq: expect.any(Number),
    });

    // "Use status endpoint to verify deletion if needed"
    expectJson(await rest(t, 'GET', `/v1/messages/async/${streamId}/status`, { key: t.keys.a }), 404, {
      detail: `Stream ${streamId} not found`,
    });
  });

  it('cancels an active stream before deleting it: observers get cancelled then deleted, and the generator stops', async () => {
    t = await startTestServer({ tokenIntervalMs: 20 });
    const { threadId } = await chatWithMessages(t, 0);
    const { message_id } = await initiate(t, threadId, words(500));
    await waitForStreamStatus(t, message_id, 'RUNNING');
    const sse = await streamEvents(t, message_id, { key: t.keys.a });
    await sse.waitForEvents(2);

    const r = await rest(t, 'DELETE', `/v1/messages/async/${message_id}/delete`, { key: t.keys.a, headers: { 'X-Request-ID': 'req-000-active' } });
    expect([r.status, r.text]).toEqual([204, '']);
    expect(await sse.ended).toBe('eof');
    expect(sse.events.slice(-2).map((e) => e.event)).toEqual(['cancelled', 'deleted']);
    const seqs = sse.events.map((e) => Number(e.id));
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));

    const audit = await lastAudit(t);
    expect([audit?.action, audit?.request_id, JSON.parse(audit?.details ?? '{}').cancelled]).toEqual(['stream.delete', 'req-000-active', true]);
    await sleep(100);
    const db = t.app.deps.store.db;
    expect(await db.selectFrom('stream_events').selectAll().where('stream_id', '=', message_id).execute()).toEqual([]);
    expect(await db.selectFrom('messages').select('role').where('thread_id', '=', threadId).execute()).toEqual([{ role: 'USER' }]);
  });

  it('404: a second delete, a stream that never existed, another tenant’s stream (which stays)', async () => {
    t = await startTestServer();
    const { streamId } = await completedStream(t);
    expectJson(await rest(t, 'DELETE', `/v1/messages/async/${streamId}/delete`, { key: t.keys.b }), 404, {
      detail: `Stream ${streamId} not found`,
    });
    expect(await t.app.deps.store.db.selectFrom('streams').select('id').where('id', '=', streamId).execute()).toHaveLength(1);

    expect((await rest(t, 'DELETE', `/v1/messages/async/${streamId}/delete`, { key: t.keys.a })).status).toBe(204);
    expectJson(await rest(t, 'DELETE', `/v1/messages/async/${streamId}/delete`, { key: t.keys.a }), 404, {
      detail: `Stream ${streamId} not found`,
    });
    const missing = randomUUID();
    expectJson(await rest(t, 'DELETE', `/v1/messages/async/${missing}/delete`, { key: t.keys.a }), 404, {
      detail: `Stream ${missing} not found`,
    });
  });

  it('401: no key, an unknown key; Authorization: Bearer works like X-API-Key', async () => {
    t = await startTestServer();
    const { streamId } = await completedStream(t);
    const before = await rowCounts(t);
    const anon = await rest(t, 'DELETE', `/v1/messages/async/${streamId}/delete`);
    expectJson(anon, 401, UNAUTHENTICATED);
    expect(anon.headers.get('www-authenticate')).toBe('ApiKey');
    expectJson(await rest(t, 'DELETE', `/v1/messages/async/${streamId}/delete`, { key: 'wrong' }), 401, BAD_KEY);
    expectJson(await rest(t, 'DELETE', `/v1/messages/async/${streamId}/delete`, { bearer: 'wrong' }), 401, BAD_KEY);
    expect(await rowCounts(t)).toEqual(before);
    expect((await rest(t, 'DELETE', `/v1/messages/async/${streamId}/delete`, { bearer: t.keys.a })).status).toBe(204);
  });

  it("422: the page's curl line taken literally (message_id is not an id) and other malformed ids", async () => {
    t = await startTestServer();
    await completedStream(t);
    const before = await rowCounts(t);
    // $ curl -X DELETE https://host.com/v1/messages/async/message_id/delete
    for (const id of ['message_id', '123', `${randomUUID()}x`]) {
      expectJson(await rest(t, 'DELETE', `/v1/messages/async/${id}/delete`, { key: t.keys.a }), 422, {
        detail: [{ loc: ['path', 'message_id'], msg: 'must be a UUID', type: 'value_error' }],
      });
    }
    expect(await rowCounts(t)).toEqual(before);
  });
});
