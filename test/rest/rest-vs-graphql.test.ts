import { afterEach, describe, expect, it } from 'vitest';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import {
  DAY_MS,
  type SseReader,
  UUID,
  activeConnections,
  chatEventsSubscription,
  chatEventTypes,
  gqlData,
  rest,
  rowCounts,
  waitFor,
  waitForStreamStatus,
} from './rest-helpers.ts';

// Issue 4, "Done when": every REST delete leaves the same database state and audit entry
// as the same GraphQL mutation. Two fresh apps get identical data; one is deleted through
// the REST route, the other through the mutation; the stored rows of both are compared
// with ids replaced by stable labels (by creation order) and timestamps masked.

let servers: TestServer[] = [];
let subs: SseReader[] = [];
afterEach(async () => {
  for (const s of subs) s.abort();
  subs = [];
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const REQUEST_ID = 'twin-request-1';

interface World {
  flowId: string;
  chat1: string;
  t1: string;
  t2: string;
  softDeleted: string;
  chat2: string;
  t3: string;
  s1: string;
  s3: string;
}

async function startStream(s: TestServer, threadId: string, prompt: string): Promise<string> {
  const data = await gqlData(
    s,
    `mutation($input: StartStreamInput!) { startStream(input: $input) { __typename ... on StartStreamSuccess { stream { id } } } }`,
    { input: { threadId, prompt } },
  );
  const id = data.startStream?.stream?.id as string;
  await waitForStreamStatus(s, id, 'COMPLETED');
  return id;
}

/** The same data, built the same way, in any app. */
async function buildWorld(s: TestServer): Promise<World> {
  const flowId = await createFlow(s, 'Flow');
  const chat1 = await createChat(s, flowId, 'C1');
  const t1 = await createThread(s, chat1, 'T1');
  const rated = { sessionId: 's1', memoryType: 'Buffer', chatType: 'EXTERNAL' } as const;
  await postMessage(s, t1, { ...rated, role: 'USER', content: 'q1', createdAt: '2024-03-01T10:00:00.000Z' });
  await postMessage(s, t1, { ...rated, role: 'ASSISTANT', content: 'a1', feedback: 'THUMBS_UP', createdAt: '2024-03-01T10:00:01.000Z' });
  await postMessage(s, t1, { role: 'USER', content: 'q2', chatType: 'INTERNAL', createdAt: '2024-06-01T00:00:00.000Z' });
  await postMessage(s, t1, { role: 'ASSISTANT', content: 'a2', chatType: 'INTERNAL', feedback: 'THUMBS_DOWN', createdAt: '2024-06-01T00:00:01.000Z' });
  const s1 = await startStream(s, t1, 'alpha beta gamma');
  const t2 = await createThread(s, chat1, 'T2');
  await postMessage(s, t2, { content: 't2 first', createdAt: '2025-01-01T00:00:00.000Z' });
  await postMessage(s, t2, { ...rated, role: 'ASSISTANT', content: 't2 rated', feedback: 'THUMBS_UP', createdAt: '2024-09-09T09:09:09.000Z' });
  const softDeleted = await createThread(s, chat1, 'Soft-deleted');
  await postMessage(s, softDeleted, { content: 'in the bin' });
  const del = await gqlData(s, `mutation($id: ID!) { deleteThread(id: $id) { __typename } }`, { id: softDeleted });
  expect(del.deleteThread.__typename).toBe('DeleteThreadSuccess');
  const chat2 = await createChat(s, flowId, 'C2');
  const t3 = await createThread(s, chat2, 'T3');
  await postMessage(s, t3, { ...rated, role: 'USER', content: 'q3', createdAt: '2024-04-01T00:00:00.000Z' });
  await postMessage(s, t3, { ...rated, role: 'ASSISTANT', content: 'a3', feedback: 'THUMBS_UP', createdAt: '2024-04-01T00:00:01.000Z' });
  const s3 = await startStream(s, t3, 'delta epsilon');
  return { flowId, chat1, t1, t2, softDeleted, chat2, t3, s1, s3 };
}

// ------------------------------------------------------------------ normalized dumps

const DUMPED = ['flows', 'chats', 'threads', 'messages', 'streams', 'stream_events', 'audit_log'] as const;
const LABELED = ['tenants', 'api_keys', 'flows', 'chats', 'threads', 'messages', 'streams'] as const;
const TIME_COLUMNS = /(^at$|_at$|^restore_until$)/;

/**
 * The order rows get their labels in: by creation time, ties broken by a column the twins
 * fill alike (two keys made at the same instant differ by name). Ids are random, and
 * PostgreSQL has no rowid, so this order is the same in twin apps on either engine.
 */
const LABEL_ORDER: Record<(typeof LABELED)[number], string[]> = {
  tenants: ['created_at', 'name'],
  api_keys: ['created_at', 'name'],
  flows: ['created_at', 'name'],
  chats: ['created_at', 'title'],
  threads: ['created_at', 'title'],
  messages: ['created_at', 'content'],
  streams: ['created_at', 'status'],
};

/** id → "table#n" in LABEL_ORDER, which is the same in twin apps. */
async function labelsOf(s: TestServer, into = new Map<string, string>()): Promise<Map<string, string>> {
  const db = s.app.deps.store.db;
  const { sql } = await import('kysely');
  for (const table of LABELED) {
    const order = sql.join(LABEL_ORDER[table].map((c) => sql.ref(c)));
    const rows = await sql<{ id: string }>`select id from ${sql.table(table)} order by ${order}`.execute(db);
    rows.rows.forEach((r, i) => {
      if (!into.has(r.id)) into.set(r.id, `${table}#${i}`);
    });
  }
  const audits = await db.selectFrom('audit_log').select(['id', 'seq']).orderBy('seq').execute();
  audits.forEach((r, i) => {
    if (!into.has(r.id)) into.set(r.id, `audit#${i}`);
  });
  return into;
}

function normalize(value: unknown, labels: Map<string, string>, column?: string): unknown {
  if (typeof value === 'string') {
    if (labels.has(value)) return labels.get(value);
    if (column !== undefined && TIME_COLUMNS.test(column) && !Number.isNaN(Date.parse(value))) return '<time>';
    if (UUID.test(value)) return '<unknown uuid>';
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => normalize(v, labels));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, labels, k)]));
  }
  return value;
}

async function dump(s: TestServer, labels: Map<string, string>) {
  const db = s.app.deps.store.db;
  const out: Record<string, string[]> = {};
  for (const table of DUMPED) {
    const rows = (await db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
    out[table] = rows
      .map((row) => {
        const r = { ...row };
        if (table === 'audit_log' && typeof r.details === 'string') r.details = JSON.parse(r.details);
        return JSON.stringify(normalize(r, labels));
      })
      .sort();
  }
  return out;
}

async function lastAuditOf(s: TestServer, labels: Map<string, string>) {
  const row = await s.app.deps.store.db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirstOrThrow();
  return normalize(
    { action: row.action, target_type: row.target_type, target_id: row.target_id, actor: row.actor, request_id: row.request_id, details: JSON.parse(row.details ?? 'null') },
    labels,
  );
}

async function threadSoftColumns(s: TestServer, id: string) {
  const row = await s.app.deps.store.db
    .selectFrom('threads')
    .select(['deleted_at', 'restore_until', 'deleted_by', 'version'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return 'erased';
  return {
    deleted: row.deleted_at !== null,
    deleted_by: row.deleted_by,
    restoreWindowMs: row.deleted_at && row.restore_until ? Date.parse(row.restore_until) - Date.parse(row.deleted_at) : null,
    version: row.version,
  };
}

// ------------------------------------------------------------------ the cases

interface Case {
  name: string;
  rest: (w: World) => { method: string; path: string; status: number };
  gql: (w: World) => { query: string; variables: Record<string, unknown>; field: string; success: string };
  /** The same number that the REST answer and the mutation both report. */
  count?: { rest: (body: any) => unknown; gql: (result: any) => unknown };
  /** Thread whose soft-delete columns are compared. */
  thread?: (w: World) => string;
  liveConnection?: (w: World) => string;
}

const DELETE_CHAT = `mutation($id: ID!, $force: Boolean) { deleteChat(id: $id, force: $force) { __typename ... on DeleteChatSuccess { deletedMessageCount closedConnections } } }`;
const DELETE_THREAD = `mutation($id: ID!, $permanent: Boolean) { deleteThread(id: $id, permanent: $permanent) { __typename ... on DeleteThreadSuccess { deletedMessageCount } } }`;
const DELETE_STREAM = `mutation($id: ID!) { deleteStream(id: $id) { __typename } }`;
const DELETE_MESSAGES = `mutation($flowId: ID!, $filter: MessageFilter, $hardDelete: Boolean) {
  deleteMessages(flowId: $flowId, filter: $filter, hardDelete: $hardDelete) { __typename ... on DeleteMessagesSuccess { affected erasedEventCount } }
}`;

const CASES: Case[] = [
  {
    name: 'seed 001 DELETE /api/v1/chats/{id} = deleteChat',
    rest: (w) => ({ method: 'DELETE', path: `/api/v1/chats/${w.chat1}`, status: 200 }),
    gql: (w) => ({ query: DELETE_CHAT, variables: { id: w.chat1 }, field: 'deleteChat', success: 'DeleteChatSuccess' }),
  },
  {
    name: 'seed 001 DELETE /api/v1/chats/{id}?force=true with a live connection = deleteChat(force: true)',
    rest: (w) => ({ method: 'DELETE', path: `/api/v1/chats/${w.chat1}?force=true`, status: 200 }),
    gql: (w) => ({ query: DELETE_CHAT, variables: { id: w.chat1, force: true }, field: 'deleteChat', success: 'DeleteChatSuccess' }),
    liveConnection: (w) => w.chat1,
  },
  {
    name: 'seed 002 DELETE /api/chat/threads/{id} = deleteThread',
    rest: (w) => ({ method: 'DELETE', path: `/api/chat/threads/${w.t1}`, status: 200 }),
    gql: (w) => ({ query: DELETE_THREAD, variables: { id: w.t1 }, field: 'deleteThread', success: 'DeleteThreadSuccess' }),
    count: { rest: (b) => b.deletedMessageCount, gql: (r) => r.deletedMessageCount },
    thread: (w) => w.t1,
  },
  {
    name: 'seed 002 DELETE /api/chat/threads/{id}?permanent=true = deleteThread(permanent: true)',
    rest: (w) => ({ method: 'DELETE', path: `/api/chat/threads/${w.t1}?permanent=true`, status: 200 }),
    gql: (w) => ({ query: DELETE_THREAD, variables: { id: w.t1, permanent: true }, field: 'deleteThread', success: 'DeleteThreadSuccess' }),
    count: { rest: (b) => b.deletedMessageCount, gql: (r) => r.deletedMessageCount },
    thread: (w) => w.t1,
  },
  {
    name: 'seed 002 ?permanent=true of an already soft-deleted thread = deleteThread(permanent: true)',
    rest: (w) => ({ method: 'DELETE', path: `/api/chat/threads/${w.softDeleted}?permanent=true`, status: 200 }),
    gql: (w) => ({ query: DELETE_THREAD, variables: { id: w.softDeleted, permanent: true }, field: 'deleteThread', success: 'DeleteThreadSuccess' }),
    thread: (w) => w.softDeleted,
  },
  {
    name: 'seed 004 DELETE /threads/{id}?api-version=v1 = deleteThread',
    rest: (w) => ({ method: 'DELETE', path: `/threads/${w.t1}?api-version=v1`, status: 200 }),
    gql: (w) => ({ query: DELETE_THREAD, variables: { id: w.t1 }, field: 'deleteThread', success: 'DeleteThreadSuccess' }),
    thread: (w) => w.t1,
  },
  {
    name: 'seed 004 DELETE /threads/{id}?api-version=v1&permanent=true = deleteThread(permanent: true)',
    rest: (w) => ({ method: 'DELETE', path: `/threads/${w.t2}?api-version=v1&permanent=true`, status: 200 }),
    gql: (w) => ({ query: DELETE_THREAD, variables: { id: w.t2, permanent: true }, field: 'deleteThread', success: 'DeleteThreadSuccess' }),
    thread: (w) => w.t2,
  },
  {
    name: 'seed 000 DELETE /v1/messages/async/{id}/delete = deleteStream',
    rest: (w) => ({ method: 'DELETE', path: `/v1/messages/async/${w.s1}/delete`, status: 204 }),
    gql: (w) => ({ query: DELETE_STREAM, variables: { id: w.s1 }, field: 'deleteStream', success: 'DeleteStreamSuccess' }),
  },
  {
    name: 'seed 003 DELETE /api/v1/chatmessage/{flow} (no filter) = deleteMessages',
    rest: (w) => ({ method: 'DELETE', path: `/api/v1/chatmessage/${w.flowId}`, status: 200 }),
    gql: (w) => ({ query: DELETE_MESSAGES, variables: { flowId: w.flowId }, field: 'deleteMessages', success: 'DeleteMessagesSuccess' }),
    count: { rest: (b) => b.affected, gql: (r) => r.affected },
  },
  {
    name: 'seed 003 ?chatId=…&hardDelete=true = deleteMessages(filter: {chatId}, hardDelete: true)',
    rest: (w) => ({ method: 'DELETE', path: `/api/v1/chatmessage/${w.flowId}?chatId=${w.chat1}&hardDelete=true`, status: 200 }),
    gql: (w) => ({
      query: DELETE_MESSAGES,
      variables: { flowId: w.flowId, filter: { chatId: w.chat1 }, hardDelete: true },
      field: 'deleteMessages',
      success: 'DeleteMessagesSuccess',
    }),
    count: { rest: (b) => b.affected, gql: (r) => r.affected },
  },
  {
    name: 'seed 003 with every filter field (repeated and comma-separated lists, bare dates) = deleteMessages(filter)',
    rest: (w) => ({
      method: 'DELETE',
      path:
        `/api/v1/chatmessage/${w.flowId}?feedbackType=THUMBS_UP&feedbackType=THUMBS_DOWN&chatType=EXTERNAL,INTERNAL` +
        `&sessionId=s1&memoryType=Buffer&startDate=2024-01-01&endDate=2024-12-31&hardDelete=false&isClearFromViewMessageDialog=true`,
      status: 200,
    }),
    gql: (w) => ({
      query: DELETE_MESSAGES,
      variables: {
        flowId: w.flowId,
        filter: {
          feedbackTypes: ['THUMBS_UP', 'THUMBS_DOWN'],
          chatTypes: ['EXTERNAL', 'INTERNAL'],
          sessionId: 's1',
          memoryType: 'Buffer',
          startDate: '2024-01-01',
          endDate: '2024-12-31',
        },
        hardDelete: false,
      },
      field: 'deleteMessages',
      success: 'DeleteMessagesSuccess',
    }),
    count: { rest: (b) => b.affected, gql: (r) => r.affected },
  },
];

/** What one twin looked like before and after its delete, normalized for comparison. */
interface Outcome {
  before: Awaited<ReturnType<typeof dump>>;
  status: number;
  text: string;
  /** What the case expects: the REST status, or the mutation's success __typename. */
  expected: number | string;
  answer: any;
  errors?: unknown;
  liveEvents?: string[];
  rowCounts: Awaited<ReturnType<typeof rowCounts>>;
  lastAudit: unknown;
  soft?: Awaited<ReturnType<typeof threadSoftColumns>>;
  after: Awaited<ReturnType<typeof dump>>;
}

/**
 * Builds the world in a fresh app, deletes through `via`, and records the outcome. The
 * twins run one after the other, each on its own fresh database, and are compared after.
 */
async function runTwin(c: Case, via: 'rest' | 'gql'): Promise<Outcome> {
  const s = await startTestServer();
  servers.push(s);
  const world = await buildWorld(s);
  const labels = await labelsOf(s);
  const before = await dump(s, labels);

  let live: SseReader | undefined;
  if (c.liveConnection) {
    live = await chatEventsSubscription(s, c.liveConnection(world));
    subs.push(live);
    await waitFor(() => activeConnections(s, c.liveConnection!(world)), (n) => n === 1, `a live connection (${via} twin)`);
  }

  let outcome: Pick<Outcome, 'status' | 'text' | 'expected' | 'answer' | 'errors'>;
  if (via === 'rest') {
    const r = c.rest(world);
    const answer = await rest(s, r.method, r.path, { key: s.keys.a, headers: { 'X-Request-ID': REQUEST_ID } });
    outcome = { status: answer.status, text: answer.text, expected: r.status, answer: answer.body };
  } else {
    const g = c.gql(world);
    const { status, body } = await s.gql(g.query, g.variables, { headers: { 'x-request-id': REQUEST_ID } });
    outcome = { status, text: JSON.stringify(body), expected: g.success, answer: body.data?.[g.field], errors: body.errors };
  }

  let liveEvents: string[] | undefined;
  if (live) {
    await live.ended;
    liveEvents = chatEventTypes(live);
  }

  await labelsOf(s, labels);
  const result: Outcome = {
    before,
    ...outcome,
    liveEvents,
    rowCounts: await rowCounts(s),
    lastAudit: await lastAuditOf(s, labels),
    soft: c.thread ? await threadSoftColumns(s, c.thread(world)) : undefined,
    after: await dump(s, labels),
  };
  await s.close();
  servers = servers.filter((x) => x !== s);
  return result;
}

describe('a REST delete leaves the same rows and audit entry as the GraphQL mutation', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // One twin at a time: the comparison needs only their recorded outcomes.
    const viaRest = await runTwin(c, 'rest');
    const viaGql = await runTwin(c, 'gql');
    // The twins really are twins before the delete.
    expect(viaRest.before).toEqual(viaGql.before);

    expect(viaRest.status, viaRest.text).toBe(viaRest.expected);
    expect(viaGql.errors).toBeUndefined();
    expect(viaGql.answer?.__typename, viaGql.text).toBe(viaGql.expected);
    if (c.count) expect(c.count.rest(viaRest.answer)).toBe(c.count.gql(viaGql.answer));

    if (c.liveConnection) {
      expect(viaRest.liveEvents).toEqual(viaGql.liveEvents);
      expect(viaRest.liveEvents).toEqual(['CHAT_DELETED']);
    }

    expect(viaRest.rowCounts).toEqual(viaGql.rowCounts);
    expect(viaRest.lastAudit).toEqual(viaGql.lastAudit);
    expect(viaRest.lastAudit).toMatchObject({ actor: 'key-a', request_id: REQUEST_ID });
    if (c.thread) {
      expect(viaRest.soft).toEqual(viaGql.soft);
      if (viaRest.soft !== 'erased') expect(viaRest.soft).toMatchObject({ deleted: true, deleted_by: 'key-a', restoreWindowMs: 30 * DAY_MS });
    }
    expect(viaRest.after).toEqual(viaGql.after);
  });
});
