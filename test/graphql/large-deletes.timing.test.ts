import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { deleteChat, deleteMessages, messageIds, readChat, readThread, waitUntil } from './documents.ts';

// docs/design.md#large-deletes: a chat with a million messages must not
// freeze the server: the rows vanish from reads at once, the physical erasure runs in
// bounded chunks that yield to the event loop, from a durable queue that resumes after a
// crash. Other requests keep their latency meanwhile.
//
// The chats here hold 50 000 messages, inserted with one SQL statement (building them
// through postMessage would take minutes); everything after that goes through HTTP.

const BULK = 50_000;
/** Longest the event loop may be blocked, and the slowest a concurrent request may be. */
const MAX_BLOCK_MS = 100;
const MAX_LATENCY_MS = 250;

let t: TestApp;
let extraApps: App[];
beforeEach(async () => {
  t = await startTestApp();
  extraApps = [];
});
afterEach(async () => {
  for (const app of extraApps) await app.close();
  await t.close();
});

async function bulkChat(n = BULK) {
  const base = await chatWithMessages(t, 1);
  const db = t.app.deps.store.db;
  const thread = await db.selectFrom('threads').selectAll().where('id', '=', base.threadId).executeTakeFirstOrThrow();
  if (t.engine === 'postgres') {
    await sql`
      INSERT INTO messages (id, tenant_id, flow_id, chat_id, thread_id, role, content, session_id, memory_type, chat_type, feedback, created_at)
      SELECT '00000000-0000-4000-8000-' || lpad(i::text, 12, '0'), ${thread.tenant_id}, ${thread.flow_id}, ${thread.chat_id}, ${thread.id},
             'USER', 'bulk message number ' || i, 'bulk', NULL, 'INTERNAL', NULL,
             '2025-01-01T00:00:' || lpad((i % 60)::text, 2, '0') || '.' || lpad((i % 1000)::text, 3, '0') || 'Z'
      FROM generate_series(1, ${n}::int) AS i`.execute(db);
  } else {
    await sql`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n})
      INSERT INTO messages (id, tenant_id, flow_id, chat_id, thread_id, role, content, session_id, memory_type, chat_type, feedback, created_at)
      SELECT printf('00000000-0000-4000-8000-%012d', i), ${thread.tenant_id}, ${thread.flow_id}, ${thread.chat_id}, ${thread.id},
             'USER', 'bulk message number ' || i, 'bulk', NULL, 'INTERNAL', NULL, printf('2025-01-01T00:00:%02d.%03dZ', i % 60, i % 1000)
      FROM n`.execute(db);
  }
  expect((await readChat(t, base.chatId)).messageCount).toBe(n + 1);
  return base;
}

/**
 * Runs `work` while measuring the longest gap between 5 ms timer ticks (event-loop
 * blocking) and the latency of a small query sent every 10 ms by another client.
 */
async function underLoad<T>(work: () => Promise<T>) {
  let maxGap = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 5);
  const latencies: number[] = [];
  let done = false;
  const prober = (async () => {
    while (!done) {
      const started = performance.now();
      const { body } = await t.gql(`{ flows(first: 1) { edges { node { id } } } }`);
      expect(body.errors).toBeUndefined();
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    return { result: await work(), maxGap: () => maxGap, latencies };
  } finally {
    done = true;
    await prober;
    clearInterval(ticker);
  }
}

describe('a chat with many messages', () => {
  it(
    'deleteChat answers, and its messages vanish from reads at once',
    async () => {
      const { chatId, threadId, flowId } = await bulkChat();
      const r = await deleteChat(t, { id: chatId });
      expect(r).toMatchObject({ __typename: 'DeleteChatSuccess', deletedMessageCount: BULK + 1, deletedThreadCount: 1 });
      expect(await readChat(t, chatId)).toBeNull();
      expect(await readThread(t, threadId)).toBeNull();
      expect(await messageIds(t, flowId)).toEqual([]);
      // and the rows are erased in the end
      await waitUntil(
        async () => (await t.app.deps.store.db.selectFrom('messages').select('id').where('chat_id', '=', chatId).limit(1).execute()).length,
        (left) => left === 0,
        'the bulk rows to be erased',
        30_000,
      );
    },
    120_000,
  );

  it(
    'deleteChat does not freeze the server: the event loop keeps turning and other requests keep their latency',
    async () => {
      const { chatId } = await bulkChat();
      const run = await underLoad(() => deleteChat(t, { id: chatId }));
      expect(run.result.__typename).toBe('DeleteChatSuccess');
      // Let the background erasure (if any) run while still measuring.
      await waitUntil(
        async () => (await t.app.deps.store.db.selectFrom('messages').select('id').where('chat_id', '=', chatId).limit(1).execute()).length,
        (left) => left === 0,
        'the bulk rows to be erased',
        30_000,
      );
      expect(run.maxGap()).toBeLessThan(MAX_BLOCK_MS);
      expect(Math.max(...run.latencies)).toBeLessThan(MAX_LATENCY_MS);
    },
    120_000,
  );

  it(
    'deleteMessages of the whole flow does not freeze the server either',
    async () => {
      const { flowId } = await bulkChat();
      const run = await underLoad(() => deleteMessages(t, { flowId, filter: { sessionId: 'bulk' } }));
      expect(run.result).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: BULK });
      expect(run.maxGap()).toBeLessThan(MAX_BLOCK_MS);
      expect(Math.max(...run.latencies)).toBeLessThan(MAX_LATENCY_MS);
    },
    120_000,
  );

  it(
    'an erasure interrupted by a restart completes after it',
    async () => {
      const { chatId, flowId } = await bulkChat();
      expect((await deleteChat(t, { id: chatId })).__typename).toBe('DeleteChatSuccess');
      // Stop the server right after the answer, then start a new one on the same file.
      await t.app.close();
      const config = { ...loadConfig({}), databaseUrl: t.dbPath, tokenIntervalMs: 5 };
      const app = await createApp(config, { clock: t.clock, purgeTimer: false });
      extraApps.push(app);
      const left = async () =>
        (await app.deps.store.db.selectFrom('messages').select('id').where('chat_id', '=', chatId).limit(1).execute()).length;
      await waitUntil(left, (n) => n === 0, 'the erasure to finish after the restart', 30_000);
      const response = await app.gateway.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': t.keys.a },
        body: JSON.stringify({ query: `query($f: ID!) { messages(flowId: $f, first: 5) { edges { node { id } } } }`, variables: { f: flowId } }),
      });
      expect(await response.json()).toEqual({ data: { messages: { edges: [] } } });
    },
    120_000,
  );
});
