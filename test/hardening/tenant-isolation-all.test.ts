import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import { type TenantDump, dumpDiff, tenantDump, tenantIdOf } from './tenant-checksum.ts';

// Issue 8, "Done when": a tenant-isolation test runs every query, mutation, subscription
// and REST route with tenant B's key against tenant A's ids and sees only NotFound/null,
// with A's data unchanged.
//
// test/graphql/tenant-isolation.test.ts already covers the four GraphQL deletes one by
// one. This file goes over the whole surface: every Query and Mutation field, nested
// selections, federation `_entities` (each entity type, batched with B's own ids), cursors
// taken from A's lists, both subscriptions over SSE on a real port, every REST route of
// the five seed APIs (with X-API-Key and with Authorization: Bearer), Idempotency-Key
// reuse across tenants, and A's running stream. For each probe:
//   - B's answer for A's id equals B's answer for an id that exists nowhere (the id
//     itself swapped out): nothing tells B that A's resource exists;
//   - no answer to B carries any of A's content, or any of A's ids but the one B sent;
//   - A's rows in the database (every table with tenant_id, checksummed) are unchanged.

let t: TestServer;
/** A unique marker in every piece of A's content, so any leak of it is found by a string search. */
const SECRET = `A-SECRET-${randomUUID().slice(0, 8)}`;

interface AData {
  flowId: string;
  chatId: string;
  threadId: string;
  softThreadId: string;
  messageId: string;
  streamId: string;
  /** A second chat for the REST Idempotency-Key probe (A deletes it with a key before the checksum). */
  idemChatId: string;
  idemFlowId: string;
  cursor: string;
}
let a: AData;
let b: { flowId: string; chatId: string; threadId: string; messageId: string };
let aTenant: string;
let before: TenantDump;
/** Every id A owns (flows, chats, threads, messages, streams), for the leak check. */
let aIds: string[];
/** Every answer B received: [what was asked, the ids of A it named, the answer's text]. */
const seenByB: { probe: string; sent: string[]; text: string }[] = [];

const IDEM_KEY = 'shared-idempotency-key-0001';

async function gqlRaw(query: string, variables: Record<string, unknown>, key: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers };
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function http(method: string, path: string, auth: { key?: string; bearer?: string }, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (auth.key) headers['x-api-key'] = auth.key;
  if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${t.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** The text with each given id (any case) swapped for a placeholder. */
function normalise(text: string, ids: string[]): string {
  let out = text;
  for (const [i, id] of ids.entries()) {
    out = out.replaceAll(id.toLowerCase(), `<id${i}>`).replaceAll(id.toUpperCase(), `<ID${i}>`);
  }
  return out;
}

/** Records B's answer and checks it names no A content and no A id that B did not send. */
function sawByB(probe: string, sent: string[], text: string) {
  seenByB.push({ probe, sent, text });
  expect(text, `${probe}: A's content in B's answer`).not.toContain(SECRET);
  const leaked = aIds.filter((id) => !sent.includes(id) && text.toLowerCase().includes(id));
  expect(leaked, `${probe}: A's ids B did not send appear in B's answer`).toEqual([]);
}

/**
 * Sends the same probe with A's ids and with ids that exist nowhere (same shape, same
 * case), and expects the two answers to be identical once the ids are swapped out.
 */
async function sameAsMissing(probe: string, aIdsSent: string[], send: (ids: string[]) => Promise<Answer>): Promise<Answer> {
  const missing = aIdsSent.map((id) => (id === id.toUpperCase() ? randomUUID().toUpperCase() : randomUUID()));
  const forA = await send(aIdsSent);
  const forMissing = await send(missing);
  sawByB(probe, aIdsSent.map((id) => id.toLowerCase()), forA.text);
  expect({ status: forA.status, contentType: forA.contentType, body: normalise(forA.text, aIdsSent) }, probe).toEqual({
    status: forMissing.status,
    contentType: forMissing.contentType,
    body: normalise(forMissing.text, missing),
  });
  return forA;
}

async function expectAUnchanged() {
  const after = await tenantDump(t.app.deps.store.db, t.engine, aTenant);
  expect(dumpDiff(before, after)).toEqual({});
  expect(after.checksum).toBe(before.checksum);
}

beforeAll(async () => {
  // 25 ms per word: A's 120-word stream below runs for about 3 s.
  t = await startTestServer({ tokenIntervalMs: 25 });
  const flowId = await createFlow(t, `${SECRET} flow`);
  const chatId = await createChat(t, flowId, `${SECRET} chat`);
  const threadId = await createThread(t, chatId, `${SECRET} thread`);
  const messageId = await postMessage(t, threadId, { content: `${SECRET} question`, sessionId: `${SECRET}-session`, memoryType: 'buffer' });
  await postMessage(t, threadId, { role: 'ASSISTANT', content: `${SECRET} answer`, feedback: 'THUMBS_DOWN', chatType: 'EXTERNAL' });
  const softThreadId = await createThread(t, chatId, `${SECRET} soft-deleted thread`);
  await postMessage(t, softThreadId, { content: `${SECRET} in the bin` });
  const del = await t.gql(`mutation($id: ID!) { deleteThread(id: $id) { __typename } }`, { id: softThreadId });
  expect(del.body.data.deleteThread.__typename).toBe('DeleteThreadSuccess');
  const started = await t.gql(
    `mutation($i: StartStreamInput!) { startStream(input: $i) { ... on StartStreamSuccess { stream { id } } } }`,
    { i: { threadId, prompt: `${SECRET} short prompt` } },
  );
  const streamId: string = started.body.data.startStream.stream.id;
  for (let i = 0; ; i++) {
    const s = await t.gql(`query($id: ID!) { stream(id: $id) { status } }`, { id: streamId });
    if (s.body.data.stream.status === 'COMPLETED') break;
    if (i > 400) throw new Error('the stream did not complete');
    await sleep(10);
  }
  // Idempotency keys are per tenant: A uses one first, B reuses it below.
  const idemFlowId = await createFlow(t, `${SECRET} idempotent flow`);
  const idemChatId = await createChat(t, idemFlowId, `${SECRET} idempotent chat`);
  const aCreate = await gqlRaw(
    `mutation($i: CreateFlowInput!) { createFlow(input: $i) { __typename ... on CreateFlowSuccess { flow { id name } } } }`,
    { i: { name: 'same body for both tenants', type: 'CHATFLOW' } },
    t.keys.a,
    { 'idempotency-key': IDEM_KEY },
  );
  expect(aCreate.status).toBe(200);
  const restDelete = await fetch(`${t.url}/api/v1/chats/${idemChatId}`, {
    method: 'DELETE',
    headers: { 'x-api-key': t.keys.a, 'idempotency-key': `${IDEM_KEY}-rest` },
  });
  // A's stored answer under that key is a 200 with A's deleted_at: B must never get it.
  expect(restDelete.status).toBe(200);
  await restDelete.text();

  const list = await t.gql(`query($f: ID!) { chats(flowId: $f, first: 1) { edges { cursor } } }`, { f: flowId });
  a = { flowId, chatId, threadId, softThreadId, messageId, streamId, idemChatId, idemFlowId, cursor: list.body.data.chats.edges[0].cursor };

  const bFlow = await createFlow(t, 'B flow', t.keys.b);
  const bChat = await createChat(t, bFlow, 'B chat', t.keys.b);
  const bThread = await createThread(t, bChat, 'B thread', t.keys.b);
  const bMessage = await postMessage(t, bThread, { content: 'B says hi' }, t.keys.b);
  b = { flowId: bFlow, chatId: bChat, threadId: bThread, messageId: bMessage };

  const db = t.app.deps.store.db;
  aTenant = await tenantIdOf(db, 'tenant-a');
  const ids = await Promise.all(
    (['flows', 'chats', 'threads', 'messages', 'streams'] as const).map((table) =>
      db.selectFrom(table).select('id').where('tenant_id', '=', aTenant).execute(),
    ),
  );
  aIds = ids.flat().map((r) => r.id.toLowerCase());
  before = await tenantDump(db, t.engine, aTenant);
  expect(before.counts.messages).toBeGreaterThanOrEqual(5);
}, 60_000);
afterAll(async () => t.close());

const ERR = `__typename ... on Error { message } ... on NotFoundError { resourceType id }`;

/** B's GraphQL answer for `query` with `vars(ids)`. */
const gqlProbe = (query: string, vars: (ids: string[]) => Record<string, unknown>, headers: Record<string, string> = {}) => async (ids: string[]) => {
  const r = await gqlRaw(query, vars(ids), t.keys.b, headers);
  return { status: r.status, contentType: r.headers.get('content-type') ?? '', text: r.text };
};

describe("tenant B's key against tenant A's ids", () => {
  it('every Query field, with nested selections, answers null or an empty list', async () => {
    // Nested as deep as the server's depth and cost limits let a client go.
    const NESTED_CHAT = `id title version messageCount activeConnections updatedAt flow { id name }
      threads(first: 5) { edges { cursor node { id title metadata messageCount messages(first: 5) { edges { node { id content sessionId memoryType feedback } } } } } }`;
    const NESTED_THREAD = `id title metadata version deletedAt restoreUntil chat { id title flow { id name } threads(first: 5) { edges { node { id title } } } }
      messages(first: 5) { edges { node { id content thread { id title chat { id title } } } } }`;
    const probes: [string, string, (ids: string[]) => Record<string, unknown>, string[]][] = [
      ['flow', `query($id: ID!) { flow(id: $id) { id name type createdAt chats(first: 5) { edges { node { id title threads(first: 5) { edges { node { id title } } } } } } } }`, ([id]) => ({ id }), [a.flowId]],
      ['chat', `query($id: ID!) { chat(id: $id) { ${NESTED_CHAT} } }`, ([id]) => ({ id }), [a.chatId]],
      ['thread', `query($id: ID!) { thread(id: $id) { ${NESTED_THREAD} } }`, ([id]) => ({ id }), [a.threadId]],
      ['soft-deleted thread', `query($id: ID!) { thread(id: $id) { ${NESTED_THREAD} } }`, ([id]) => ({ id }), [a.softThreadId]],
      ['stream', `query($id: ID!) { stream(id: $id) { id status version eventCount thread { ${NESTED_THREAD} } events(first: 100) { seq type data } message { id content } } }`, ([id]) => ({ id }), [a.streamId]],
      ['messages of the flow', `query($f: ID!) { messages(flowId: $f, first: 100) { edges { node { id content thread { id } } } pageInfo { hasNextPage } } }`, ([f]) => ({ f }), [a.flowId]],
      [
        'messages of the flow, filtered by every field',
        `query($f: ID!, $filter: MessageFilter) { messages(flowId: $f, filter: $filter, first: 100) { edges { node { id content } } } }`,
        ([f, c, th]) => ({ f, filter: { chatId: c, threadId: th, sessionId: `${SECRET}-session`, memoryType: 'buffer', chatTypes: ['EXTERNAL', 'INTERNAL'], feedbackTypes: ['THUMBS_DOWN'], startDate: '2000-01-01', endDate: '2100-01-01' } }),
        [a.flowId, a.chatId, a.threadId],
      ],
      ['chats of the flow', `query($f: ID!) { chats(flowId: $f, first: 100) { edges { node { id title } } } }`, ([f]) => ({ f }), [a.flowId]],
      ['export of the chat', `query($id: ID!) { exportChat(id: $id) { chatId exportedAt format data } }`, ([id]) => ({ id }), [a.chatId]],
      ['upper-case ids', `query($c: ID!, $t: ID!, $f: ID!) { chat(id: $c) { id } thread(id: $t) { id } flow(id: $f) { id } }`, ([c, th, f]) => ({ c, t: th, f }), [a.chatId.toUpperCase(), a.threadId.toUpperCase(), a.flowId.toUpperCase()]],
    ];
    for (const [name, query, vars, ids] of probes) {
      const r = await sameAsMissing(`query ${name}`, ids, gqlProbe(query, vars));
      const body = JSON.parse(r.text);
      expect(body.errors, name).toBeUndefined();
      const values = Object.values(body.data) as any[];
      for (const v of values) expect(v === null || (Array.isArray(v?.edges) && v.edges.length === 0), `${name}: ${r.text}`).toBe(true);
    }
    await expectAUnchanged();
  });

  it("B's own lists, B's own nested objects and cursors taken from A's lists show only B's rows", async () => {
    const query = `query($after: String, $bFlow: ID!, $bChat: ID!, $aChat: ID!, $aThread: ID!) {
      flows(first: 5) { edges { node { id name chats(first: 5) { edges { node { id title } } } } } }
      chats(first: 20) { edges { node { id } } }
      bChat: chat(id: $bChat) { id threads(first: 5) { edges { node { id messages(first: 5) { edges { node { id content } } } } } } }
      afterACursor: chats(first: 20, after: $after) { edges { node { id } } }
      beforeACursor: chats(last: 20, before: $after) { edges { node { id } } }
      deletedThreads(first: 20) { edges { node { id title } } }
      auditLog(first: 20) { edges { node { id action targetId actor details } } }
      byAChat: messages(flowId: $bFlow, filter: { chatId: $aChat }, first: 20) { edges { node { id } } }
      byAThread: messages(flowId: $bFlow, filter: { threadId: $aThread }, first: 20) { edges { node { id } } }
    }`;
    const r = await gqlRaw(query, { after: a.cursor, bFlow: b.flowId, bChat: b.chatId, aChat: a.chatId, aThread: a.threadId }, t.keys.b);
    sawByB("B's own lists", [a.chatId, a.threadId], r.text);
    const body = JSON.parse(r.text);
    expect(body.errors).toBeUndefined();
    const ids = (conn: any) => conn.edges.map((e: any) => e.node.id);
    expect(ids(body.data.flows).every((id: string) => !aIds.includes(id))).toBe(true);
    for (const chatId of [...ids(body.data.chats), ...ids(body.data.afterACursor), ...ids(body.data.beforeACursor)]) {
      expect(aIds).not.toContain(chatId);
    }
    expect(ids(body.data.deletedThreads)).toEqual([]);
    expect(body.data.auditLog.edges.every((e: any) => !aIds.includes(e.node.targetId))).toBe(true);
    expect(body.data.bChat.threads.edges.map((e: any) => e.node.id)).toEqual([b.threadId]);
    expect(body.data.bChat.threads.edges[0].node.messages.edges.map((e: any) => e.node.id)).toEqual([b.messageId]);
    expect(body.data.byAChat.edges).toEqual([]);
    expect(body.data.byAThread.edges).toEqual([]);
    await expectAUnchanged();
  });

  it('federation _entities resolves every one of A’s entities to null, even batched with B’s own', async () => {
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) {
      __typename
      ... on Flow { id name chats(first: 10) { edges { node { id title } } } }
      ... on Chat { id title messageCount threads(first: 10) { edges { node { id } } } }
      ... on Thread { id title messages(first: 10) { edges { node { id content } } } }
      ... on Message { id content thread { id title } }
      ... on Stream { id status events(first: 10) { data } message { content } }
    } }`;
    const types = ['Flow', 'Chat', 'Thread', 'Thread', 'Message', 'Stream'];
    const aList = [a.flowId, a.chatId, a.threadId, a.softThreadId, a.messageId, a.streamId];
    const r = await sameAsMissing('_entities', aList, gqlProbe(query, (ids) => ({ reps: ids.map((id, i) => ({ __typename: types[i], id })) })));
    expect(JSON.parse(r.text)).toEqual({ data: { _entities: [null, null, null, null, null, null] } });
    // Batched with B's own entities of the same types: B's resolve, A's stay null.
    const mixed = [
      { __typename: 'Flow', id: b.flowId },
      { __typename: 'Flow', id: a.flowId },
      { __typename: 'Chat', id: a.chatId },
      { __typename: 'Chat', id: b.chatId },
      { __typename: 'Thread', id: b.threadId },
      { __typename: 'Thread', id: a.threadId },
      { __typename: 'Message', id: a.messageId },
      { __typename: 'Message', id: b.messageId },
      { __typename: 'Stream', id: a.streamId },
    ];
    const m = await gqlRaw(query, { reps: mixed }, t.keys.b);
    sawByB('_entities mixed', aList, m.text);
    const entities = JSON.parse(m.text).data._entities;
    expect(entities.map((e: any) => e?.id ?? null)).toEqual([b.flowId, null, null, b.chatId, b.threadId, null, null, b.messageId, null]);
    await expectAUnchanged();
  });

  it('every Mutation field answers NotFoundError for A’s ids and changes nothing of A', async () => {
    const m = (field: string, args: string, sig: string) => `mutation(${sig}) { ${field}(${args}) { ${ERR} } }`;
    const probes: [string, string, (ids: string[]) => Record<string, unknown>, string[], string][] = [
      ['postMessage', m('postMessage', 'input: $i', '$i: PostMessageInput!'), ([th]) => ({ i: { threadId: th, role: 'USER', content: 'intruder' } }), [a.threadId], 'THREAD'],
      ['postMessage to a soft-deleted thread', m('postMessage', 'input: $i', '$i: PostMessageInput!'), ([th]) => ({ i: { threadId: th, role: 'USER', content: 'intruder' } }), [a.softThreadId], 'THREAD'],
      ['createThread', m('createThread', 'input: $i', '$i: CreateThreadInput!'), ([c]) => ({ i: { chatId: c, title: 'intruder' } }), [a.chatId], 'CHAT'],
      ['restoreThread', m('restoreThread', 'id: $id', '$id: ID!'), ([id]) => ({ id }), [a.softThreadId], 'THREAD'],
      ['createChat', m('createChat', 'input: $i', '$i: CreateChatInput!'), ([f]) => ({ i: { flowId: f, title: 'intruder' } }), [a.flowId], 'FLOW'],
      ['startStream', m('startStream', 'input: $i', '$i: StartStreamInput!'), ([th]) => ({ i: { threadId: th, prompt: 'intruder' } }), [a.threadId], 'THREAD'],
      ['cancelStream', m('cancelStream', 'id: $id', '$id: ID!'), ([id]) => ({ id }), [a.streamId], 'STREAM'],
      ['deleteChat', m('deleteChat', 'id: $id', '$id: ID!'), ([id]) => ({ id }), [a.chatId], 'CHAT'],
      ['deleteChat force with a version', m('deleteChat', 'id: $id, force: true, expectedVersion: 1', '$id: ID!'), ([id]) => ({ id }), [a.chatId], 'CHAT'],
      ['deleteThread', m('deleteThread', 'id: $id', '$id: ID!'), ([id]) => ({ id }), [a.threadId], 'THREAD'],
      ['deleteThread permanent with a version', m('deleteThread', 'id: $id, permanent: true, expectedVersion: 1', '$id: ID!'), ([id]) => ({ id }), [a.threadId], 'THREAD'],
      ['deleteThread permanent of a soft-deleted thread', m('deleteThread', 'id: $id, permanent: true', '$id: ID!'), ([id]) => ({ id }), [a.softThreadId], 'THREAD'],
      ['deleteStream', m('deleteStream', 'id: $id, expectedVersion: 1', '$id: ID!'), ([id]) => ({ id }), [a.streamId], 'STREAM'],
      ['deleteMessages', m('deleteMessages', 'flowId: $f', '$f: ID!'), ([f]) => ({ f }), [a.flowId], 'FLOW'],
      [
        'deleteMessages hard with a filter',
        m('deleteMessages', 'flowId: $f, filter: $filter, hardDelete: true', '$f: ID!, $filter: MessageFilter'),
        ([f, c, th]) => ({ f, filter: { chatId: c, threadId: th, feedbackTypes: ['THUMBS_DOWN'] } }),
        [a.flowId, a.chatId, a.threadId],
        'FLOW',
      ],
      ['deleteChat, upper-case id', m('deleteChat', 'id: $id', '$id: ID!'), ([id]) => ({ id }), [a.chatId.toUpperCase()], 'CHAT'],
    ];
    for (const [name, query, vars, ids, resourceType] of probes) {
      const r = await sameAsMissing(`mutation ${name}`, ids, gqlProbe(query, vars));
      const body = JSON.parse(r.text);
      expect(body.errors, name).toBeUndefined();
      const result = Object.values(body.data)[0] as any;
      expect(result, name).toMatchObject({ __typename: 'NotFoundError', resourceType });
    }
    // deleteMessages on B's own flow with A's chat or thread as the filter matches nothing.
    for (const filter of [{ chatId: a.chatId }, { threadId: a.threadId }]) {
      const r = await gqlRaw(
        `mutation($f: ID!, $filter: MessageFilter) { deleteMessages(flowId: $f, filter: $filter, hardDelete: true) { __typename ... on DeleteMessagesSuccess { affected } } }`,
        { f: b.flowId, filter },
        t.keys.b,
      );
      sawByB('deleteMessages of B with A filter', Object.values(filter), r.text);
      expect(JSON.parse(r.text).data.deleteMessages).toEqual({ __typename: 'DeleteMessagesSuccess', affected: 0 });
    }
    // createFlow names no id: B's flow is B's.
    const created = await gqlRaw(
      `mutation { createFlow(input: { name: "B second flow", type: AGENTFLOW }) { __typename ... on CreateFlowSuccess { flow { id } } } }`,
      {},
      t.keys.b,
    );
    expect(JSON.parse(created.text).data.createFlow.__typename).toBe('CreateFlowSuccess');
    await expectAUnchanged();
  });

  it("an Idempotency-Key A used is B's own: B's request runs as B, never replays A's answer", async () => {
    const bCreate = await gqlRaw(
      `mutation($i: CreateFlowInput!) { createFlow(input: $i) { __typename ... on CreateFlowSuccess { flow { id name } } } }`,
      { i: { name: 'same body for both tenants', type: 'CHATFLOW' } },
      t.keys.b,
      { 'idempotency-key': IDEM_KEY },
    );
    sawByB('createFlow with A’s idempotency key', [], bCreate.text);
    expect(bCreate.headers.get('idempotent-replayed')).toBeNull();
    const flow = JSON.parse(bCreate.text).data.createFlow.flow;
    expect(aIds).not.toContain(flow.id);
    const bFlows = await gqlRaw(`{ flows(first: 100) { edges { node { id } } } }`, {}, t.keys.b);
    expect(JSON.parse(bFlows.text).data.flows.edges.map((e: any) => e.node.id)).toContain(flow.id);
    const restDelete = await fetch(`${t.url}/api/v1/chats/${a.idemChatId}`, {
      method: 'DELETE',
      headers: { 'x-api-key': t.keys.b, 'idempotency-key': `${IDEM_KEY}-rest` },
    });
    expect(restDelete.headers.get('idempotent-replayed')).toBeNull();
    sawByB('REST delete with A’s idempotency key', [a.idemChatId], await restDelete.text());
    expect(restDelete.status).toBe(404);
    await expectAUnchanged();
  });

  it('every REST route answers its not-found shape, with X-API-Key or a Bearer token', async () => {
    const routes: [string, string, (ids: string[]) => string, string[], number, unknown?][] = [
      ['POST', 'initiate a stream', () => '/v1/messages/async', [a.threadId], 404, 'body'],
      ['GET', 'stream events', ([s]) => `/v1/messages/async/${s}/events`, [a.streamId], 404],
      ['GET', 'stream events after a seq', ([s]) => `/v1/messages/async/${s}/events?after_seq=1`, [a.streamId], 404],
      ['GET', 'stream status', ([s]) => `/v1/messages/async/${s}/status`, [a.streamId], 404],
      ['POST', 'cancel a stream', ([s]) => `/v1/messages/async/${s}/cancel`, [a.streamId], 404],
      ['DELETE', 'delete a stream', ([s]) => `/v1/messages/async/${s}/delete`, [a.streamId], 404],
      ['GET', 'get a chat', ([c]) => `/api/v1/chats/${c}`, [a.chatId], 404],
      ['GET', 'export a chat', ([c]) => `/api/v1/chats/${c}/export`, [a.chatId], 404],
      ['DELETE', 'delete a chat', ([c]) => `/api/v1/chats/${c}`, [a.chatId], 404],
      ['DELETE', 'delete a chat with force', ([c]) => `/api/v1/chats/${c}?force=true`, [a.chatId], 404],
      ['DELETE', 'delete a chat thread', ([th]) => `/api/chat/threads/${th}`, [a.threadId], 404],
      ['DELETE', 'delete a chat thread for good', ([th]) => `/api/chat/threads/${th}?permanent=true&expectedVersion=1`, [a.threadId], 404],
      ['DELETE', 'delete a soft-deleted chat thread for good', ([th]) => `/api/chat/threads/${th}?permanent=true`, [a.softThreadId], 404],
      ['DELETE', 'delete chat messages', ([f]) => `/api/v1/chatmessage/${f}`, [a.flowId], 404],
      [
        'DELETE',
        'delete chat messages with every filter',
        ([f, c, th]) =>
          `/api/v1/chatmessage/${f}?chatId=${c}&threadId=${th}&sessionId=${SECRET}-session&memoryType=buffer&chatType=EXTERNAL&feedbackType=THUMBS_DOWN&startDate=2000-01-01&endDate=2100-01-01&hardDelete=true`,
        [a.flowId, a.chatId, a.threadId],
        404,
      ],
      ['DELETE', 'delete an agent thread', ([th]) => `/threads/${th}?api-version=v1`, [a.threadId], 404],
      ['DELETE', 'delete an agent thread for good', ([th]) => `/threads/${th}?api-version=v1&permanent=true`, [a.threadId], 404],
      ['DELETE', 'delete an agent thread, upper-case id', ([th]) => `/threads/${th}?api-version=v1`, [a.threadId.toUpperCase()], 404],
      ['GET', 'get a chat, upper-case id', ([c]) => `/api/v1/chats/${c}`, [a.chatId.toUpperCase()], 404],
    ];
    for (const auth of [{ key: t.keys.b }, { bearer: t.keys.b }]) {
      for (const [method, name, path, ids, status, body] of routes) {
        const probe = `${method} ${name} (${auth.key ? 'x-api-key' : 'bearer'})`;
        const r = await sameAsMissing(probe, ids, (sent) =>
          http(method, path(sent), auth, body === undefined ? undefined : { thread_id: sent[0], prompt: 'intruder' }),
        );
        expect(r.status, `${probe}: ${r.text}`).toBe(status);
        expect(r.contentType, probe).toMatch(/^application\/json/);
      }
    }
    // On B's own flow, A's chat or thread as the filter deletes nothing.
    const own = await http('DELETE', `/api/v1/chatmessage/${b.flowId}?chatId=${a.chatId}&hardDelete=true`, { key: t.keys.b });
    sawByB('chatmessage on B flow with A chat', [a.chatId], own.text);
    expect({ status: own.status, body: JSON.parse(own.text) }).toEqual({ status: 200, body: { affected: 0, raw: [] } });
    await expectAUnchanged();
  });

  it('both subscriptions over SSE end with NOT_FOUND, deliver nothing of A, and add no live connection', async () => {
    const subscribe = async (query: string, variables: Record<string, unknown>): Promise<Answer> => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 5000);
      try {
        const response = await fetch(`${t.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': t.keys.b },
          body: JSON.stringify({ query, variables }),
          signal: controller.signal,
        });
        // Must end by itself: a subscription B was refused must not stay open.
        const text = await response.text();
        return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
      } finally {
        clearTimeout(timer);
      }
    };
    const probes: [string, string, (ids: string[]) => Record<string, unknown>, string[]][] = [
      ['chatEvents', `subscription($c: ID!) { chatEvents(chatId: $c) { type chatId threadId messageId streamId at } }`, ([c]) => ({ c }), [a.chatId]],
      ['streamEvents', `subscription($s: ID!) { streamEvents(id: $s) { streamId seq type data at } }`, ([s]) => ({ s }), [a.streamId]],
      ['streamEvents after a seq', `subscription($s: ID!) { streamEvents(id: $s, afterSeq: 0) { seq data } }`, ([s]) => ({ s }), [a.streamId]],
    ];
    for (const [name, query, vars, ids] of probes) {
      const r = await sameAsMissing(`subscription ${name}`, ids, (sent) => subscribe(query, vars(sent)));
      expect(r.contentType).toMatch(/^text\/event-stream/);
      const next = r.text
        .split('\n\n')
        .filter((block) => /^event: next$/m.test(block))
        .map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data:'))!.slice(5)));
      expect(next, name).toHaveLength(1);
      expect(next[0].data ?? null).toBeNull();
      expect(next[0].errors?.[0]?.extensions?.code, name).toBe('NOT_FOUND');
      expect(r.text).toMatch(/^event: complete$/m);
    }
    const live = await gqlRaw(`query($id: ID!) { chat(id: $id) { activeConnections } }`, { id: a.chatId }, t.keys.a);
    expect(JSON.parse(live.text).data.chat.activeConnections).toBe(0);
    await expectAUnchanged();
  });

  it("A's running stream: B can neither read, follow, cancel nor delete it; it completes untouched", async () => {
    const words = Array.from({ length: 120 }, (_, i) => `${SECRET}-w${i}`).join(' ');
    // B follows its own chat meanwhile: none of A's events may reach it.
    const controller = new AbortController();
    const bFeed = fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': t.keys.b },
      body: JSON.stringify({ query: `subscription($c: ID!) { chatEvents(chatId: $c) { type chatId threadId streamId } }`, variables: { c: b.chatId } }),
      signal: controller.signal,
    }).then(async (response) => {
      let text = '';
      const reader = response.body!.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += Buffer.from(value).toString('utf8');
        }
      } catch {}
      return text;
    });
    const started = await gqlRaw(
      `mutation($i: StartStreamInput!) { startStream(input: $i) { ... on StartStreamSuccess { stream { id } } } }`,
      { i: { threadId: a.threadId, prompt: words } },
      t.keys.a,
    );
    const running: string = JSON.parse(started.text).data.startStream.stream.id;
    aIds.push(running);
    const status = async () => JSON.parse((await gqlRaw(`query($id: ID!) { stream(id: $id) { status eventCount } }`, { id: running }, t.keys.a)).text).data.stream;
    for (let i = 0; (await status()).status !== 'RUNNING'; i++) {
      if (i > 200) throw new Error('stream did not start');
      await sleep(10);
    }

    const m = (field: string, args: string) => `mutation($id: ID!) { ${field}(${args}) { ${ERR} } }`;
    for (const [name, query] of [
      ['stream', `query($id: ID!) { stream(id: $id) { id status events(first: 100) { data } } }`],
      ['cancelStream', m('cancelStream', 'id: $id')],
      ['deleteStream', m('deleteStream', 'id: $id')],
      ['entities', `query($id: ID!) { _entities(representations: [{ __typename: "Stream", id: $id }]) { ... on Stream { id status } } }`],
    ] as const) {
      await sameAsMissing(`running stream: ${name}`, [running], gqlProbe(query, ([id]) => ({ id })));
    }
    for (const [method, path] of [
      ['GET', (s: string) => `/v1/messages/async/${s}/status`],
      ['GET', (s: string) => `/v1/messages/async/${s}/events`],
      ['POST', (s: string) => `/v1/messages/async/${s}/cancel`],
      ['DELETE', (s: string) => `/v1/messages/async/${s}/delete`],
    ] as const) {
      const r = await sameAsMissing(`running stream: ${method} ${path(':id')}`, [running], ([s]) => http(method, path(s!), { key: t.keys.b }));
      expect(r.status).toBe(404);
    }
    const sub = await sameAsMissing('running stream: streamEvents', [running], async ([s]) => {
      const response = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': t.keys.b },
        body: JSON.stringify({ query: `subscription($s: ID!) { streamEvents(id: $s) { seq data } }`, variables: { s } }),
        signal: AbortSignal.timeout(5000),
      });
      return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
    });
    expect(sub.text).toContain('NOT_FOUND');
    // Still running after all of that, then completes with the whole reply.
    expect((await status()).status).toBe('RUNNING');
    for (let i = 0; (await status()).status === 'RUNNING'; i++) {
      if (i > 1500) throw new Error('stream did not finish');
      await sleep(10);
    }
    const done = JSON.parse(
      (await gqlRaw(`query($id: ID!) { stream(id: $id) { status message { content } } }`, { id: running }, t.keys.a)).text,
    ).data.stream;
    expect(done.status).toBe('COMPLETED');
    expect(done.message.content).toBe(words);
    controller.abort();
    const feed = await bFeed;
    sawByB("B's own chatEvents while A streamed", [], feed);
    expect(feed).not.toMatch(/^event: next$/m);
    // A's own stream did change A's rows: the checksum sees it (the oracle is not blind).
    expect((await tenantDump(t.app.deps.store.db, t.engine, aTenant)).checksum).not.toBe(before.checksum);
  }, 60_000);

  it('no answer B received named A’s content (checked over every probe above)', () => {
    expect(seenByB.length).toBeGreaterThan(60);
    expect(seenByB.filter((s) => s.text.includes(SECRET)).map((s) => s.probe)).toEqual([]);
  });
});
