import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type Replica, createKey, startReplica } from '../replicas/processes.ts';

// Issue 8, "Done when": a crash test kills the server with SIGKILL at random points during
// deletes and large erasures, restarts it, and finds every operation either fully applied
// or not at all, the purge queue finishing, `integrity_check` ok.
//
// The real server (`node bin/chat-gateway.js serve`, started by test/replicas/processes.ts)
// on a SQLite file in a temporary folder. Each round:
//   1. builds data through GraphQL: chats, threads, messages, a finished stream;
//   2. stops the server (SIGTERM), checks the file (integrity_check, foreign_key_check),
//      and adds, with one SQL statement each, 12,000 messages to one chat and 6,000 to a
//      flow's session, so that deleteChat and deleteMessages go through the erasure queue;
//   3. restarts it, starts a long stream, reads a snapshot of everything the deletes target;
//   4. sends nine deletes at once (all four kinds, soft and permanent, GraphQL and REST, the
//      two large ones), each at a random offset of 0-60 ms, and SIGKILLs the server at a
//      random moment 0-300 ms after the first was sent;
//   5. restarts it, waits for the erasure queue to empty (≤ 30 s) and checks each delete:
//      either fully applied (gone from every read, its rows gone from the file, its audit
//      entry present with the exact counts) or not at all (every read exactly as in the
//      snapshot, no audit entry); an answer the client received before the kill means it
//      must be applied; the data nothing targeted is untouched.
// After the last round the server is stopped and the file checked once more.
//
// CRASH_ROUNDS (default 5) and CRASH_SEED (replays the random offsets) tune it.
// "The queue empty" means no job without finished_at: finished jobs are kept a day for deletionJob.

const SKIP = process.env.TEST_DATABASE_URL
  ? 'crash test skipped: it runs on SQLite only (TEST_DATABASE_URL is set), since it writes and checks the SQLite file directly'
  : undefined;
if (SKIP) console.warn(SKIP);

const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 5);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const BIG_CHAT = 30_000;
const BIG_SESSION = 12_000;

/** mulberry32: a small seeded generator, so a failing round can be replayed with CRASH_SEED. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dir = mkdtempSync(join(tmpdir(), 'chat-gateway-crash-'));
const file = join(dir, 'crash.db');
// REDIS_URL empty: one process, live state in memory, whatever the machine's environment says;
// no write rate limit (each round writes ~60 times; CRASH_ROUNDS=20 would meet the default).
const env = { DATABASE_URL: file, STREAM_TOKEN_INTERVAL_MS: '20', REDIS_URL: '', RATE_LIMIT_WRITES_PER_MINUTE: '0' };
let server: Replica | undefined;
let key: string;

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const response = await fetch(`${server!.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as any;
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function create(field: string, inputType: string, input: Record<string, unknown>, select: string): Promise<any> {
  const data = await gql(`mutation($i: ${inputType}!) { ${field}(input: $i) { __typename ... on Error { message } ${select} } }`, { i: input });
  if (data[field].__typename.endsWith('Error')) throw new Error(`${field}: ${JSON.stringify(data[field])}`);
  return data[field];
}
const flow = async (name: string) => (await create('createFlow', 'CreateFlowInput', { name, type: 'CHATFLOW' }, '... on CreateFlowSuccess { flow { id } }')).flow.id as string;
const chat = async (flowId: string, title: string) => (await create('createChat', 'CreateChatInput', { flowId, title }, '... on CreateChatSuccess { chat { id } }')).chat.id as string;
const thread = async (chatId: string, title: string) => (await create('createThread', 'CreateThreadInput', { chatId, title }, '... on CreateThreadSuccess { thread { id } }')).thread.id as string;
async function messages(threadId: string, n: number, fields: Record<string, unknown> = {}) {
  for (let i = 0; i < n; i++) {
    await create('postMessage', 'PostMessageInput', { threadId, role: i % 2 ? 'ASSISTANT' : 'USER', content: `message ${i} of ${threadId}`, ...fields }, '__typename');
  }
}
const stream = async (threadId: string, prompt: string) =>
  (await create('startStream', 'StartStreamInput', { threadId, prompt }, '... on StartStreamSuccess { stream { id } }')).stream.id as string;

async function waitFor<T>(read: () => Promise<T> | T, done: (v: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

/** Runs `work` on the database file (read-only unless `write`), closing it after. */
function onFile<T>(work: (db: Database.Database) => T, write = false): T {
  const db = new Database(file, { readonly: !write, fileMustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

const count = (sql: string, ...params: unknown[]) => onFile((db) => (db.prepare(sql).get(...params) as { n: number }).n);

function checkFile(when: string) {
  const { integrity, foreignKeys } = onFile((db) => ({
    integrity: db.pragma('integrity_check') as { integrity_check: string }[],
    foreignKeys: db.pragma('foreign_key_check') as unknown[],
  }));
  expect(integrity, `integrity_check ${when}`).toEqual([{ integrity_check: 'ok' }]);
  expect(foreignKeys, `foreign_key_check ${when}`).toEqual([]);
}

/** One SQL statement adds `n` messages to a thread (ids that sort before any the server makes). */
function bulkInsert(threadId: string, n: number, sessionId: string, base: number) {
  onFile((db) => {
    const t = db.prepare('select tenant_id, flow_id, chat_id from threads where id = ?').get(threadId) as Record<string, string>;
    db.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO messages (id, tenant_id, flow_id, chat_id, thread_id, role, content, session_id, memory_type, chat_type, feedback, created_at)
       SELECT printf('00000000-0000-4000-8000-%012d', ? + i), ?, ?, ?, ?, 'USER', 'bulk message ' || i, ?, NULL, 'INTERNAL', NULL,
              printf('2025-01-01T00:%02d:%02d.%03dZ', (i / 60) % 60, i % 60, i % 1000)
       FROM n`,
    ).run(n, base, t.tenant_id, t.flow_id, t.chat_id, threadId, sessionId);
  }, true);
}

/**
 * Erasure jobs not done yet. Finished jobs stay in erasure_jobs for a day with finished_at
 * set (deletionJob shows them); on a schema without that column every row is unfinished.
 */
const UNFINISHED_JOBS = `select count(*) n from erasure_jobs where finished_at is null`;

const CHAT_VIEW = `query($id: ID!) { chat(id: $id) { id title version messageCount
  threads(first: 10) { edges { node { id title version messageCount messages(first: 10) { edges { node { id content } } } } } } } }`;
const THREAD_VIEW = `query($id: ID!) { thread(id: $id) { id title version messageCount deletedAt messages(first: 50) { edges { node { id content role } } } } }`;
const STREAM_VIEW = `query($id: ID!) { stream(id: $id) { id status version eventCount events(first: 1000) { seq type data } message { id } } }`;
const MESSAGE_IDS = `query($f: ID!, $filter: MessageFilter) { messages(flowId: $f, filter: $filter, first: 100) { edges { node { id } } pageInfo { hasNextPage } } }`;
const DELETED = `{ deletedThreads(first: 100) { edges { node { id messageCount } } } }`;

const view = async (query: string, id: string) => Object.values(await gql(query, { id }))[0] as any;
const messageIds = async (flowId: string, filter?: Record<string, unknown>) => {
  const conn = (await gql(MESSAGE_IDS, { f: flowId, filter })).messages;
  expect(conn.pageInfo.hasNextPage).toBe(false);
  return conn.edges.map((e: any) => e.node.id as string).sort();
};

interface Op {
  name: string;
  method: 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** The audit entry that marks this delete as committed. */
  audit: { action: string; target: string };
  /** True when the answer the client got says the delete succeeded. */
  succeeded(status: number, body: any): boolean;
}

const gqlOp = (name: string, query: string, variables: Record<string, unknown>, field: string, success: string, audit: Op['audit']): Op => ({
  name,
  method: 'POST',
  path: '/graphql',
  body: { query, variables },
  audit,
  succeeded: (status, body) => status === 200 && body?.data?.[field]?.__typename === success,
});

const outcomes: Record<string, { applied: number; notApplied: number; answeredBeforeKill: number }> = {};
/** Rounds whose kill left an erasure job half-done in the queue. */
let interruptedErasures = 0;

describe.skipIf(!!SKIP)('crash: SIGKILL during deletes and large erasures', () => {
  it(`${ROUNDS} rounds: every delete fully applied or not at all, the erasure queue finishes, the file stays sound`, async () => {
    const rand = random(SEED);
    console.log(`crash test: seed ${SEED} (CRASH_SEED=${SEED} replays the offsets), ${ROUNDS} rounds, database ${file}`);
    key = createKey(env);
    server = await startReplica(env);

    for (let round = 1; round <= ROUNDS; round++) {
      // ---------------------------------------------------------------- 1. data
      const F1 = await flow(`round ${round} chats`);
      const cSmall = await chat(F1, 'small chat');
      for (const title of ['s1', 's2']) await messages(await thread(cSmall, title), 4);
      const cBig = await chat(F1, 'big chat');
      const tBig = await thread(cBig, 'big thread');
      await messages(tBig, 1);
      const cRest = await chat(F1, 'chat deleted through REST');
      await messages(await thread(cRest, 'r1'), 3);

      const F2 = await flow(`round ${round} threads`);
      const c2 = await chat(F2, 'threads chat');
      const tSoft = await thread(c2, 'soft');
      await messages(tSoft, 4);
      const tPerm = await thread(c2, 'permanent');
      await messages(tPerm, 4);
      const sPerm = await stream(tPerm, 'erased with its thread');
      const tKeep = await thread(c2, 'kept');
      await messages(tKeep, 3);
      const tStream = await thread(c2, 'streams');
      const sDone = await stream(tStream, 'one two three four');
      const tRun = await thread(c2, 'running stream');

      const F3 = await flow(`round ${round} messages`);
      const t3 = await thread(await chat(F3, 'messages chat'), 'messages');
      await messages(t3, 5, { sessionId: 'del', feedback: 'THUMBS_DOWN' });
      await messages(t3, 3, { sessionId: 'keep' });

      const F4 = await flow(`round ${round} large messages`);
      const t4 = await thread(await chat(F4, 'large messages chat'), 'large');
      await messages(t4, 2, { sessionId: 'keep' });

      const F5 = await flow(`round ${round} control`);
      const c5 = await chat(F5, 'control chat');
      await messages(await thread(c5, 'control'), 3);

      for (const s of [sPerm, sDone]) await waitFor(() => view(STREAM_VIEW, s), (v) => v?.status === 'COMPLETED', `stream ${s} to complete`);

      // ---------------------------------------------------------------- 2. bulk rows, server stopped
      await server.stop();
      server = undefined;
      checkFile(`before round ${round}`);
      bulkInsert(tBig, BIG_CHAT, 'bulk', round * 1_000_000);
      bulkInsert(t4, BIG_SESSION, 'bulk', round * 1_000_000 + 500_000);
      server = await startReplica(env);

      // ---------------------------------------------------------------- 3. snapshot
      const sRun = await stream(tRun, Array.from({ length: 1500 }, (_, i) => `w${i}`).join(' '));
      await waitFor(() => view(STREAM_VIEW, sRun), (v) => v?.status === 'RUNNING' && v.eventCount > 1, 'the long stream to run');
      const before = {
        cSmall: await view(CHAT_VIEW, cSmall),
        cBig: await view(CHAT_VIEW, cBig),
        cRest: await view(CHAT_VIEW, cRest),
        tSoft: await view(THREAD_VIEW, tSoft),
        tPerm: await view(THREAD_VIEW, tPerm),
        tKeep: await view(THREAD_VIEW, tKeep),
        tStream: await view(THREAD_VIEW, tStream),
        sDone: await view(STREAM_VIEW, sDone),
        f3del: await messageIds(F3, { sessionId: 'del' }),
        f3keep: await messageIds(F3, { sessionId: 'keep' }),
        f4keep: await messageIds(F4, { sessionId: 'keep' }),
        c5: await view(CHAT_VIEW, c5),
      };
      expect(before.cBig.messageCount).toBe(BIG_CHAT + 1);
      expect(count(`select count(*) n from messages where flow_id = ? and session_id = 'bulk'`, F4)).toBe(BIG_SESSION);
      const auditBefore = count('select count(*) n from audit_log');

      // ---------------------------------------------------------------- 4. deletes, then SIGKILL
      const ops: Op[] = [
        gqlOp('deleteChat (small)', 'mutation($id: ID!) { deleteChat(id: $id) { __typename } }', { id: cSmall }, 'deleteChat', 'DeleteChatSuccess', { action: 'chat.delete', target: cSmall }),
        gqlOp('deleteChat (large, queued erasure)', 'mutation($id: ID!) { deleteChat(id: $id) { __typename } }', { id: cBig }, 'deleteChat', 'DeleteChatSuccess', { action: 'chat.delete', target: cBig }),
        {
          name: 'DELETE /api/v1/chats/{id}',
          method: 'DELETE',
          path: `/api/v1/chats/${cRest}`,
          audit: { action: 'chat.delete', target: cRest },
          succeeded: (status, body) => status === 200 && body?.success === true,
        },
        gqlOp('deleteThread (soft)', 'mutation($id: ID!) { deleteThread(id: $id) { __typename } }', { id: tSoft }, 'deleteThread', 'DeleteThreadSuccess', { action: 'thread.delete', target: tSoft }),
        gqlOp('deleteThread (permanent)', 'mutation($id: ID!) { deleteThread(id: $id, permanent: true) { __typename } }', { id: tPerm }, 'deleteThread', 'DeleteThreadSuccess', { action: 'thread.delete', target: tPerm }),
        gqlOp('deleteStream (completed)', 'mutation($id: ID!) { deleteStream(id: $id) { __typename } }', { id: sDone }, 'deleteStream', 'DeleteStreamSuccess', { action: 'stream.delete', target: sDone }),
        gqlOp('deleteStream (running)', 'mutation($id: ID!) { deleteStream(id: $id) { __typename } }', { id: sRun }, 'deleteStream', 'DeleteStreamSuccess', { action: 'stream.delete', target: sRun }),
        gqlOp(
          'deleteMessages (hardDelete)',
          'mutation($f: ID!) { deleteMessages(flowId: $f, filter: { sessionId: "del" }, hardDelete: true) { __typename ... on DeleteMessagesSuccess { affected } } }',
          { f: F3 },
          'deleteMessages',
          'DeleteMessagesSuccess',
          { action: 'messages.delete', target: F3 },
        ),
        gqlOp(
          'deleteMessages (large, queued erasure)',
          'mutation($f: ID!) { deleteMessages(flowId: $f, filter: { sessionId: "bulk" }) { __typename ... on DeleteMessagesSuccess { affected } } }',
          { f: F4 },
          'deleteMessages',
          'DeleteMessagesSuccess',
          { action: 'messages.delete', target: F4 },
        ),
      ];
      const killAfter = Math.floor(rand() * 301);
      const offsets = ops.map(() => Math.floor(rand() * 61));
      const answers = new Map<string, { status: number; body: any } | Error>();
      const url = server.url;
      const firstSent = Date.now();
      const sending = ops.map(async (op, i) => {
        await sleep(offsets[i]!);
        try {
          const response = await fetch(`${url}${op.path}`, {
            method: op.method,
            headers: { 'x-api-key': key, ...(op.body ? { 'content-type': 'application/json' } : {}) },
            body: op.body ? JSON.stringify(op.body) : undefined,
          });
          const text = await response.text();
          answers.set(op.name, { status: response.status, body: text ? JSON.parse(text) : undefined });
        } catch (error) {
          answers.set(op.name, error as Error);
        }
      });
      await sleep(Math.max(0, killAfter - (Date.now() - firstSent)));
      await server.kill();
      const killedAt = Date.now() - firstSent;
      server = undefined;
      await Promise.all(sending);

      // ---------------------------------------------------------------- 5. restart and check
      // What the kill interrupted: erasures still queued (they must resume) and bulk rows still on disk.
      const atKill = {
        queued: count(UNFINISHED_JOBS),
        bigChatRows: count('select count(*) n from messages where chat_id = ?', cBig),
        bulkSessionRows: count(`select count(*) n from messages where flow_id = ? and session_id = 'bulk'`, F4),
      };
      if (atKill.queued > 0) interruptedErasures++;
      server = await startReplica(env);
      await waitFor(() => count(UNFINISHED_JOBS), (n) => n === 0, 'the erasure queue to empty after the restart');
      await waitFor(() => view(STREAM_VIEW, sRun), (v) => v === null || !['QUEUED', 'RUNNING'].includes(v.status), 'the long stream to end');

      const audits = onFile(
        (db) => db.prepare('select action, target_id, details from audit_log where seq > (select coalesce(max(seq), 0) from audit_log) - 100').all() as { action: string; target_id: string; details: string }[],
      );
      const auditOf = (op: Op) => audits.filter((a) => a.action === op.audit.action && a.target_id === op.audit.target);
      const summary: string[] = [];
      for (const op of ops) {
        const entries = auditOf(op);
        expect(entries.length, `${op.name}: at most one audit entry`).toBeLessThanOrEqual(1);
        const applied = entries.length === 1;
        const answer = answers.get(op.name)!;
        const answered = !(answer instanceof Error);
        if (answered) {
          // An answer the client received was sent after the commit: it must have survived.
          expect(answer.status, `${op.name}: answered ${JSON.stringify(answer.body)}`).toBeLessThan(500);
          if (op.succeeded(answer.status, answer.body)) expect(applied, `${op.name} answered success before the kill but is not applied`).toBe(true);
          else throw new Error(`${op.name}: answered before the kill without success: ${answer.status} ${JSON.stringify(answer.body)}`);
        }
        const o = (outcomes[op.name] ??= { applied: 0, notApplied: 0, answeredBeforeKill: 0 });
        o[applied ? 'applied' : 'notApplied']++;
        if (answered) o.answeredBeforeKill++;
        summary.push(`${op.name}: ${applied ? 'applied' : 'not applied'}${answered ? ' (answered)' : ''}`);
      }
      const applied = (name: string) => auditOf(ops.find((o) => o.name === name)!).length === 1;
      const details = (name: string) => JSON.parse(auditOf(ops.find((o) => o.name === name)!)[0]!.details);
      console.log(
        `round ${round}: killed ${killedAt} ms after the first delete was sent (offsets ${offsets.join(',')}); at the kill ${JSON.stringify(atKill)}: ${summary.join('; ')}`,
      );

      // Chats: gone from every read with all their rows, or exactly as before.
      for (const [name, id, snap] of [
        ['deleteChat (small)', cSmall, before.cSmall],
        ['deleteChat (large, queued erasure)', cBig, before.cBig],
        ['DELETE /api/v1/chats/{id}', cRest, before.cRest],
      ] as const) {
        if (applied(name)) {
          expect(await view(CHAT_VIEW, id), name).toBeNull();
          for (const edge of snap.threads.edges) expect(await view(THREAD_VIEW, edge.node.id), `${name}: thread`).toBeNull();
          expect(details(name), name).toMatchObject({ deletedMessageCount: snap.messageCount, deletedThreadCount: snap.threads.edges.length });
          for (const table of ['chats', 'threads', 'messages']) {
            expect(count(`select count(*) n from ${table} where ${table === 'chats' ? 'id' : 'chat_id'} = ?`, id), `${name}: rows left in ${table}`).toBe(0);
          }
          // A queued erasure counted every message once, across the kill and the restart.
          for (const job of onFile((db) => db.prepare(`select kind, total, done from erasure_jobs where target_id = ?`).all(id)) as { total: number; done: number }[]) {
            expect(job, `${name}: the erasure job's progress`).toMatchObject({ total: snap.messageCount, done: snap.messageCount });
          }
        } else {
          expect(await view(CHAT_VIEW, id), name).toEqual(snap);
          expect(count('select count(*) n from messages where chat_id = ?', id), `${name}: rows`).toBe(snap.messageCount);
        }
      }

      // Threads: soft-deleted (restorable, with all its messages), erased, or as before.
      if (applied('deleteThread (soft)')) {
        expect(await view(THREAD_VIEW, tSoft)).toBeNull();
        const bin = (await gql(DELETED)).deletedThreads.edges.map((e: any) => e.node);
        expect(bin).toContainEqual({ id: tSoft, messageCount: before.tSoft.messageCount });
        expect(count('select count(*) n from messages where thread_id = ?', tSoft)).toBe(before.tSoft.messageCount);
      } else {
        expect(await view(THREAD_VIEW, tSoft)).toEqual(before.tSoft);
      }
      if (applied('deleteThread (permanent)')) {
        expect(await view(THREAD_VIEW, tPerm)).toBeNull();
        expect(details('deleteThread (permanent)')).toMatchObject({ deletedMessageCount: before.tPerm.messageCount });
        expect((await gql(DELETED)).deletedThreads.edges.map((e: any) => e.node.id)).not.toContain(tPerm);
        expect(count('select count(*) n from threads where id = ?', tPerm)).toBe(0);
        expect(count('select count(*) n from messages where thread_id = ?', tPerm)).toBe(0);
        expect(count('select count(*) n from streams where id = ?', sPerm)).toBe(0);
        expect(count('select count(*) n from stream_events where stream_id = ?', sPerm)).toBe(0);
      } else {
        expect(await view(THREAD_VIEW, tPerm)).toEqual(before.tPerm);
        expect(count('select count(*) n from stream_events where stream_id = ?', sPerm)).toBeGreaterThan(0);
      }

      // Streams: removed with all their events (the reply a finished one committed stays), or as before.
      if (applied('deleteStream (completed)')) {
        expect(await view(STREAM_VIEW, sDone)).toBeNull();
        expect(count('select count(*) n from stream_events where stream_id = ?', sDone)).toBe(0);
        expect(details('deleteStream (completed)')).toMatchObject({ deletedEventCount: before.sDone.eventCount });
        const after = await view(THREAD_VIEW, tStream);
        expect(after.messages).toEqual(before.tStream.messages);
      } else {
        expect(await view(STREAM_VIEW, sDone)).toEqual(before.sDone);
      }
      if (applied('deleteStream (running)')) {
        expect(await view(STREAM_VIEW, sRun)).toBeNull();
        expect(count('select count(*) n from streams where id = ?', sRun)).toBe(0);
        expect(count('select count(*) n from stream_events where stream_id = ?', sRun)).toBe(0);
      } else {
        // Not deleted: the restart ended it as FAILED (a CANCELLED one would be a delete's first half).
        const s = await view(STREAM_VIEW, sRun);
        expect(s?.status).toBe('FAILED');
        expect(s.events.map((e: any) => e.seq)).toEqual(Array.from({ length: s.events.length }, (_, i) => i + 1));
      }

      // Messages: every matched one gone (hard: their text gone from the file), the rest intact; or all there.
      if (applied('deleteMessages (hardDelete)')) {
        expect(await messageIds(F3, { sessionId: 'del' })).toEqual([]);
        expect(details('deleteMessages (hardDelete)')).toMatchObject({ affected: before.f3del.length });
        expect(count(`select count(*) n from messages where flow_id = ? and session_id = 'del'`, F3)).toBe(0);
      } else {
        expect(await messageIds(F3, { sessionId: 'del' })).toEqual(before.f3del);
      }
      expect(await messageIds(F3, { sessionId: 'keep' })).toEqual(before.f3keep);
      const bulkLeft = count(`select count(*) n from messages where flow_id = ? and session_id = 'bulk'`, F4);
      if (applied('deleteMessages (large, queued erasure)')) {
        expect(bulkLeft, 'the queued deleteMessages finished its erasure after the restart').toBe(0);
        const answer = answers.get('deleteMessages (large, queued erasure)');
        if (answer && !(answer instanceof Error)) expect(answer.body.data.deleteMessages.affected).toBe(BIG_SESSION);
      } else {
        expect(bulkLeft).toBe(BIG_SESSION);
      }
      expect(await messageIds(F4, { sessionId: 'keep' })).toEqual(before.f4keep);

      // What no delete targeted is untouched, and nothing was audited twice or out of thin air.
      expect(await view(THREAD_VIEW, tKeep)).toEqual(before.tKeep);
      expect(await view(CHAT_VIEW, c5)).toEqual(before.c5);
      const appliedCount = ops.filter((op) => applied(op.name)).length;
      expect(count('select count(*) n from audit_log') - auditBefore, 'audit entries added by the round').toBe(appliedCount);
      // Nothing half-marked is left: a chat marked for erasure is erased once the queue is empty.
      expect(count('select count(*) n from chats where deleted_at is not null')).toBe(0);
    }

    await server.stop();
    server = undefined;
    checkFile('after the last round');
    expect(count(UNFINISHED_JOBS)).toBe(0);
    console.log(`crash test outcomes over ${ROUNDS} rounds (${interruptedErasures} killed during a queued erasure): ${JSON.stringify(outcomes)}`);
  }, 240_000);
});
