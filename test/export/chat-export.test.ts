import { request } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/domain/api-keys.ts';
import { createChat, createFlow, createThread, insertMessages, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import { waitFor } from '../rest/rest-helpers.ts';
import { FORMAT, ISO, exportableChat, getNdjson, messagePages, nested, parseLines } from './export-helpers.ts';

// Export before delete (DESIGN "Data-protection workflows"): GET /api/v1/chats/{chat_id}/export
// streams the chat as NDJSON over a real socket; exportChat(id) answers the same records nested.

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

const EXPORT = `query($id: ID!) { exportChat(id: $id) { chatId exportedAt format data } }`;
const exportPath = (chatId: string) => `/api/v1/chats/${chatId}/export`;

/** A logger whose lines the test reads: the export's outcome is logged once nothing reads any more. */
function capturedLogger() {
  const lines: any[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), exports: () => lines.filter((l) => l.msg === 'chat export') };
}

/** One chat of one thread holding `n` messages of `length` characters; answers the chat's id. */
async function chatOfMessages(n: number, length: number): Promise<string> {
  const flowId = await createFlow(t);
  const chatId = await createChat(t, flowId);
  const threadId = await createThread(t, chatId);
  await insertMessages(t, threadId, n, { content: (i) => `${i} `.padEnd(length, 'x') });
  return chatId;
}

/** The export's outcome line, once it is logged (after the reading has stopped). */
async function loggedExport(captured: ReturnType<typeof capturedLogger>) {
  const [logged] = await waitFor(async () => captured.exports(), (l) => l.length === 1, 'the export to be logged', 20_000);
  return logged;
}

/** An export started in-process, its first chunk read. */
async function startExport(chatId: string, signal?: AbortSignal) {
  const response = await t.app.gateway.fetch(`http://gateway.test${exportPath(chatId)}`, { headers: { 'x-api-key': t.keys.a }, signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const first = decoder.decode((await reader.read()).value, { stream: true });
  return {
    reader,
    first,
    /** The records of the whole body: the first chunk and the rest. */
    async rest() {
      let text = first;
      for (let next = await reader.read(); !next.done; next = await reader.read()) text += decoder.decode(next.value, { stream: true });
      return parseLines(text);
    },
  };
}

const probe = () => t.gql(`{ flows(first: 1) { edges { node { id } } } }`);

describe('GET /api/v1/chats/{chat_id}/export', () => {
  it('streams every record as one NDJSON line: header, chat, each thread (the soft-deleted one marked) with every field of its messages, end', async () => {
    t = await startTestServer();
    const { chatId, records } = await exportableChat(t);
    const r = await getNdjson(t.url, exportPath(chatId), t.keys.a);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-ndjson');
    expect(r.headers['content-disposition']).toBe(`attachment; filename="chat-${chatId}.ndjson"`);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.text.endsWith('\n')).toBe(true);
    expect(r.records).toEqual(records);
    // The newline inside a message's content is escaped: one record stays one line.
    expect(r.text.split('\n')).toHaveLength(records.length + 1);
  });

  it('reads a large chat in keyset pages: 2,601 messages over three threads, many sharing one timestamp, each exactly once and in order', async () => {
    t = await startTestServer();
    const flowId = await createFlow(t);
    const chatId = await createChat(t, flowId);
    const threads = [await createThread(t, chatId, 'one'), await createThread(t, chatId, 'two'), await createThread(t, chatId, 'three')];
    // insertMessages numbers ids from 0 in every call: thread three's are renamed first.
    const db = t.app.deps.store.db;
    await insertMessages(t, threads[2]!, 1100, { content: (i) => `later ${i}` });
    await db.updateTable('messages').set((eb) => ({ id: eb.fn('replace', ['id', eb.val('00000000-'), eb.val('33333333-')]) })).where('thread_id', '=', threads[2]!).execute();
    // Thread one: 1,500 messages at the same millisecond (ordered by id across page edges).
    await insertMessages(t, threads[0]!, 1500, { createdAt: () => '2025-06-01T00:00:00.000Z', content: (i) => `same time ${i}` });
    await postMessage(t, threads[1]!, { content: 'alone' });
    t.queries.length = 0;
    const r = await getNdjson(t.url, exportPath(chatId), t.keys.a);
    expect(r.status).toBe(200);
    const messages = r.records.filter((x) => x.type === 'message');
    expect(messages).toHaveLength(2601);
    expect(new Set(messages.map((m) => m.id)).size).toBe(2601);
    expect(r.records.filter((x) => x.type === 'thread').map((x) => x.title)).toEqual(['one', 'two', 'three']);
    const ofThread = (id: string) => messages.filter((m) => m.threadId === id).map((m) => m.content);
    expect(ofThread(threads[0]!)).toEqual(Array.from({ length: 1500 }, (_, i) => `same time ${i}`));
    expect(ofThread(threads[2]!)).toEqual(Array.from({ length: 1100 }, (_, i) => `later ${i}`));
    // Every message line follows its thread's line.
    const order = r.records.map((x) => (x.type === 'message' ? x.threadId : x.type === 'thread' ? `thread ${x.id}` : x.type));
    expect(order.indexOf(`thread ${threads[1]}`)).toBe(order.indexOf(threads[1]!) - 1);
    expect(r.records.at(-1)).toEqual({ type: 'end', threadCount: 3, messageCount: 2601, chatVersion: expect.any(Number) });
    // Pages, not one statement: 100 rows first, then up to 1,000 (thread one: 100 + 1,000 + 400).
    expect(messagePages(t.queries)).toBe(3 + 1 + 3);
    expect(r.chunks.length).toBeGreaterThan(1);
  });

  it("answers 404 for another tenant's chat and for a missing one, 422 for an id that is no UUID, 401 without a key", async () => {
    t = await startTestServer();
    const { chatId } = await exportableChat(t);
    const other = await getNdjson(t.url, exportPath(chatId), t.keys.b);
    expect({ status: other.status, body: other.records }).toEqual({ status: 404, body: [{ detail: `Chat ${chatId} not found` }] });
    const missing = '7f3a1c2e-0000-4000-8000-000000000000';
    expect((await getNdjson(t.url, exportPath(missing), t.keys.a)).records).toEqual([{ detail: `Chat ${missing} not found` }]);
    const bad = await getNdjson(t.url, exportPath('nope'), t.keys.a);
    expect(bad.status).toBe(422);
    expect(bad.records[0].detail[0].loc).toEqual(['path', 'chat_id']);
    const anonymous = await getNdjson(t.url, exportPath(chatId));
    expect(anonymous.status).toBe(401);
  });

  it('needs the read permission: a key without it gets 403', async () => {
    t = await startTestServer();
    const { chatId } = await exportableChat(t);
    const writer = await createApiKey(t.app.deps.store.db, { tenant: 'tenant-a', name: 'writer', permissions: ['write', 'delete'] }, new Date().toISOString());
    const r = await getNdjson(t.url, exportPath(chatId), writer.key);
    expect({ status: r.status, body: r.records }).toEqual({ status: 403, body: [{ detail: 'This API key lacks the "read" permission' }] });
  });

  it('reads only as fast as the client does: one chunk read reads at most one page ahead; cancelling stops the reading', async () => {
    const captured = capturedLogger();
    t = await startTestServer({ logger: captured.logger });
    // 5,000 messages of 2,000 characters: pages of 500 (1 MB of text), 10 MB in all.
    const chatId = await chatOfMessages(5000, 2000);
    t.queries.length = 0;
    const started = await startExport(chatId);
    expect(started.first.split('\n')[0]).toContain('"type":"export"');
    // A request after it runs on the same database, after any page read already asked for.
    await probe();
    expect(messagePages(t.queries)).toBeLessThanOrEqual(2);
    await started.reader.cancel();
    const logged = await loggedExport(captured);
    expect(logged).toMatchObject({ chatId, outcome: 'aborted', threads: 1 });
    expect(logged.messages).toBeLessThan(5000);
    const pages = messagePages(t.queries);
    await probe();
    expect(messagePages(t.queries)).toBe(pages);
  });

  it('a request whose signal aborts stops the export', async () => {
    const captured = capturedLogger();
    t = await startTestServer({ logger: captured.logger });
    const chatId = await chatOfMessages(5000, 2000);
    const client = new AbortController();
    await startExport(chatId, client.signal);
    client.abort();
    const logged = await loggedExport(captured);
    expect(logged).toMatchObject({ chatId, outcome: 'aborted' });
    expect(logged.messages).toBeLessThan(5000);
  });

  it('a client that disconnects mid-stream stops the export: it is logged as aborted and nothing more is read', async () => {
    const captured = capturedLogger();
    t = await startTestServer({ logger: captured.logger });
    // 20,000 messages of 2,000 characters (40 MB): far more than the socket buffers hold.
    const chatId = await chatOfMessages(20_000, 2000);
    t.queries.length = 0;
    await new Promise<void>((resolve, reject) => {
      const req = request(new URL(exportPath(chatId), t.url), { headers: { 'x-api-key': t.keys.a } }, (res) => {
        expect(res.statusCode).toBe(200);
        res.once('data', () => {
          res.pause();
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.end();
      setTimeout(() => reject(new Error('no first chunk')), 20_000).unref();
    });
    const logged = await loggedExport(captured);
    expect(logged).toMatchObject({ chatId, outcome: 'aborted' });
    expect(logged.messages).toBeLessThan(20_000);
    const pages = messagePages(t.queries);
    expect(pages).toBeLessThan(40);
    await probe();
    expect(messagePages(t.queries)).toBe(pages);
  });

  it('a complete export is logged with its counts', async () => {
    const captured = capturedLogger();
    t = await startTestServer({ logger: captured.logger });
    const { chatId } = await exportableChat(t);
    await getNdjson(t.url, exportPath(chatId), t.keys.a);
    const logged = await loggedExport(captured);
    expect(logged).toMatchObject({ chatId, outcome: 'complete', threads: 2, messages: 4, actor: 'key-a' });
  });

  it('rows changed meanwhile: a message posted to a thread not read yet is exported, and the end record carries the newer chat version', async () => {
    t = await startTestServer();
    const flowId = await createFlow(t);
    const chatId = await createChat(t, flowId);
    const first = await createThread(t, chatId, 'first');
    const second = await createThread(t, chatId, 'second');
    await insertMessages(t, first, 3000, { content: (i) => `${i} `.padEnd(200, 'z') });
    const started = await startExport(chatId);
    const posted = await postMessage(t, second, { content: 'posted during the export' });
    const records = await started.rest();
    const chat = records.find((r) => r.type === 'chat');
    expect(records.filter((r) => r.type === 'message').at(-1)).toMatchObject({ id: posted, threadId: second });
    expect(records.at(-1)).toEqual({ type: 'end', threadCount: 2, messageCount: 3001, chatVersion: chat.version + 1 });
  });

  it('a chat deleted during the export ends the body with an error record instead of the end record', async () => {
    const captured = capturedLogger();
    t = await startTestServer({ logger: captured.logger });
    const chatId = await chatOfMessages(3000, 200);
    const started = await startExport(chatId);
    const { body } = await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { __typename } }`, { id: chatId });
    expect(body.data.deleteChat.__typename).toBe('DeleteChatSuccess');
    const records = await started.rest();
    expect(records.at(-1)).toEqual({ type: 'error', message: `Chat ${chatId} not found` });
    expect(records.some((r) => r.type === 'end')).toBe(false);
    const logged = await loggedExport(captured);
    expect(logged).toMatchObject({ chatId, outcome: 'failed', reason: `NotFoundError: Chat ${chatId} not found`, level: 30 });
  });
});

describe('exportChat(id)', () => {
  it('answers the same records nested: the chat holds its threads, each thread its messages, with the header and the end', async () => {
    t = await startTestServer();
    const { chatId, records } = await exportableChat(t);
    const { status, body } = await t.gql(EXPORT, { id: chatId });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const answer = body.data.exportChat;
    expect(answer).toEqual({ chatId, exportedAt: expect.stringMatching(ISO), format: FORMAT, data: nested(records) });
    expect(answer.data.exportedAt).toBe(answer.exportedAt);
    expect(answer.data.chat.threads[1].deletedAt).toMatch(ISO);
    // The same as the stream, but for the time each was made.
    const streamed = (await getNdjson(t.url, exportPath(chatId), t.keys.a)).records;
    expect({ ...answer.data, exportedAt: null }).toEqual({ ...nested(streamed), exportedAt: null });
  });

  it("is null for another tenant's chat, a missing one and an id that is no UUID", async () => {
    t = await startTestServer();
    const { chatId } = await exportableChat(t);
    for (const [id, key] of [[chatId, t.keys.b], ['7f3a1c2e-0000-4000-8000-000000000000', t.keys.a], ['nope', t.keys.a]] as const) {
      const { body } = await t.gql(EXPORT, { id }, { key });
      expect(body).toEqual({ data: { exportChat: null } });
    }
  });

  it('needs the read permission', async () => {
    t = await startTestServer();
    const { chatId } = await exportableChat(t);
    const writer = await createApiKey(t.app.deps.store.db, { tenant: 'tenant-a', name: 'writer', permissions: ['write', 'delete'] }, new Date().toISOString());
    const { body } = await t.gql(EXPORT, { id: chatId }, { key: writer.key });
    expect(body.data).toEqual({ exportChat: null });
    expect(body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['FORBIDDEN', 'This API key may not use Query.exportChat']]);
  });

  it('answers 10,000 messages; past them EXPORT_TOO_LARGE names the NDJSON route, which streams the chat', async () => {
    t = await startTestServer();
    const flowId = await createFlow(t);
    const chatId = await createChat(t, flowId);
    const threadId = await createThread(t, chatId);
    await insertMessages(t, threadId, 10_000);
    const full = await t.gql(EXPORT, { id: chatId });
    expect(full.body.errors).toBeUndefined();
    expect(full.body.data.exportChat.data.end).toMatchObject({ messageCount: 10_000 });
    await postMessage(t, threadId, { content: 'one more' });
    t.queries.length = 0;
    const { body } = await t.gql(EXPORT, { id: chatId });
    expect(body.data).toEqual({ exportChat: null });
    expect(body.errors).toEqual([
      {
        message: `Chat ${chatId} is too large to export in one answer (more than 10,000 messages or 8,388,608 characters of text): GET ${exportPath(chatId)} streams it as NDJSON at any size`,
        path: ['exportChat'],
        locations: expect.any(Array),
        extensions: { code: 'EXPORT_TOO_LARGE', chatId, maxMessages: 10_000, maxTextCharacters: 8_388_608, ndjson: exportPath(chatId) },
      },
    ]);
    // Refused before any message was read.
    expect(messagePages(t.queries)).toBe(0);
    const streamed = await getNdjson(t.url, exportPath(chatId), t.keys.a);
    expect(streamed.records.at(-1)).toMatchObject({ type: 'end', messageCount: 10_001 });
  });

  it('past 8 MiB of message text EXPORT_TOO_LARGE too, with fewer messages', async () => {
    t = await startTestServer();
    const flowId = await createFlow(t);
    const chatId = await createChat(t, flowId);
    const threadId = await createThread(t, chatId);
    await insertMessages(t, threadId, 84, { content: () => 'x'.repeat(100_000) });
    const { body } = await t.gql(EXPORT, { id: chatId });
    expect(body.data).toEqual({ exportChat: null });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'EXPORT_TOO_LARGE', chatId });
    await t.app.deps.store.db.deleteFrom('messages').where('id', '=', '00000000-0000-4000-8000-000000000083').execute();
    const fits = await t.gql(EXPORT, { id: chatId });
    expect(fits.body.errors).toBeUndefined();
    expect(fits.body.data.exportChat.data.end).toMatchObject({ messageCount: 83 });
  });
});
