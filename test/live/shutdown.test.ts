import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatWithMessages, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import { CHAT_EVENTS, type LiveSub, Opened, STREAM_EVENTS, type Transport, connectionsReach, openSub, range, readStream, seqs, startStream, words } from './live.ts';

// Issue 3: "Graceful shutdown: SIGTERM stops accepting, ends subscriptions with a
// complete, cancels or finishes streams consistently, closes the database; no lost
// writes." t.stop() shuts the server down the way SIGTERM does.

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

interface StoredAfterStop {
  stream: { status: string; finished_at: string | null } | undefined;
  events: { seq: number; type: string }[];
  messages: { id: string; role: string; content: string }[];
}

const STREAM_SQL = 'SELECT status, finished_at FROM streams WHERE id = $1';
const EVENTS_SQL = 'SELECT seq, type FROM stream_events WHERE stream_id = $1 ORDER BY seq';
const MESSAGES_SQL = 'SELECT id, role, content FROM messages WHERE chat_id = $1 ORDER BY created_at';

/**
 * Reads the stored rows after the server closed its database, through a connection of
 * its own: the SQLite file, or on PostgreSQL the test's schema (t.dbPath is then the URL,
 * whose options select the schema through search_path).
 */
async function readStoredAfterStop(streamId: string, chatId: string): Promise<StoredAfterStop> {
  if (t.engine === 'postgres') {
    const client = new pg.Client({ connectionString: t.dbPath });
    await client.connect();
    try {
      const stream = (await client.query(STREAM_SQL, [streamId])).rows[0] as StoredAfterStop['stream'];
      const events = (await client.query(EVENTS_SQL, [streamId])).rows.map((r) => ({ seq: Number(r.seq), type: r.type as string }));
      const messages = (await client.query(MESSAGES_SQL, [chatId])).rows as StoredAfterStop['messages'];
      return { stream, events, messages };
    } finally {
      await client.end();
    }
  }
  const db = new Database(t.dbPath, { readonly: true });
  try {
    const qmark = (q: string) => q.replace('$1', '?');
    const stream = db.prepare(qmark(STREAM_SQL)).get(streamId) as StoredAfterStop['stream'];
    const events = db.prepare(qmark(EVENTS_SQL)).all(streamId) as StoredAfterStop['events'];
    const messages = db.prepare(qmark(MESSAGES_SQL)).all(chatId) as StoredAfterStop['messages'];
    return { stream, events, messages };
  } finally {
    db.close();
  }
}

async function scenario(chatTransports: Transport[], streamTransports: Transport[]) {
  const { chatId, threadId } = await chatWithMessages(t, 1);
  const chatSubs: LiveSub[] = [];
  for (const tr of chatTransports) chatSubs.push(opened.track(await openSub(t, tr, CHAT_EVENTS, { chatId })));
  expect(await connectionsReach(t, chatId, chatTransports.length)).toBe(chatTransports.length);

  const { streamId } = await startStream(t, threadId, words(300));
  const streamSubs: LiveSub[] = [];
  for (const tr of streamTransports) streamSubs.push(opened.track(await openSub(t, tr, STREAM_EVENTS, { id: streamId })));
  for (const s of streamSubs) await s.waitForEvents(3);
  expect((await readStream(t, streamId))?.status).toBe('RUNNING');
  // A write acknowledged just before the shutdown must survive it.
  const lastWord = await postMessage(t, threadId, { content: 'written before SIGTERM' });

  const began = Date.now();
  await t.stop();
  const stopMs = Date.now() - began;

  for (const s of chatSubs) {
    expect.soft(await s.waitForEnd(3000), `chatEvents over ${s.transport} ended`).toBe('completed');
    expect.soft(s.errors, `chatEvents over ${s.transport} errors`).toEqual([]);
    expect.soft(s.events.map((e) => e.type)).not.toContain('CHAT_DELETED');
  }
  const cancelledSeqs: number[] = [];
  for (const s of streamSubs) {
    expect.soft(await s.waitForEnd(3000), `streamEvents over ${s.transport} ended`).toBe('completed');
    expect.soft(s.errors, `streamEvents over ${s.transport} errors`).toEqual([]);
    const types = s.events.map((e) => e.type);
    expect.soft(types.at(-1), `last stream event over ${s.transport}`).toBe('CANCELLED');
    expect.soft(types.slice(0, -1).every((x, i) => (i === 0 ? x === 'STARTED' : x === 'TOKEN'))).toBe(true);
    expect.soft(seqs(s.events)).toEqual(range(1, s.events.length));
    cancelledSeqs.push(s.events.at(-1)?.seq);
  }
  expect(t.app.live.runningTasks).toBe(0);
  expect(stopMs).toBeLessThan(5000);

  // No longer accepting.
  await expect(fetch(`${t.url}/graphql`, { method: 'POST', body: '{}' })).rejects.toThrow();

  const stored = await readStoredAfterStop(streamId, chatId);
  expect(stored.stream?.status).toBe('CANCELLED');
  expect(stored.stream?.finished_at).not.toBeNull();
  expect(stored.events.at(-1)?.type).toBe('CANCELLED');
  expect(stored.events.map((e) => e.seq)).toEqual(range(1, stored.events.length));
  // Every subscriber saw the stored CANCELLED, the stream's last event.
  for (const seq of cancelledSeqs) expect(seq).toBe(stored.events.at(-1)?.seq);
  expect(stored.messages.map((m) => m.role)).not.toContain('ASSISTANT');
  expect(stored.messages.map((m) => m.id)).toContain(lastWord);
}

describe.each<Transport>(['sse', 'ws'])('graceful shutdown over %s', (transport) => {
  it('completes chatEvents subscriptions, ends the running stream with CANCELLED for its subscriber and in the database', async () => {
    await scenario([transport], [transport]);
  });
});

describe('graceful shutdown, mixed transports', () => {
  it('ends SSE, graphql-sse and WebSocket subscribers alike', async () => {
    await scenario(['sse', 'graphql-sse', 'ws', 'ws'], ['sse', 'ws']);
  });
});
