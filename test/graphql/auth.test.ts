import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatWithMessages, createFlow } from '../helpers/fixtures.ts';
import { type GqlResult, type TestApp, startTestApp } from '../helpers/harness.ts';
import { DELETE_CHAT, readChat } from './documents.ts';

// docs/design.md#authentication-and-permissions: `x-api-key: <key>` or `Authorization: Bearer <key>`.
// Keys are stored hashed. Missing or unknown key: HTTP 401 and a GraphQL error with
// extensions.code = "UNAUTHENTICATED".

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

const FLOWS = `{ flows(first: 100) { edges { node { id name } } } }`;

function expectUnauthenticated(r: GqlResult) {
  expect(r.status).toBe(401);
  expect(r.body.data ?? null).toBeNull();
  expect(r.body.errors).toHaveLength(1);
  expect(r.body.errors![0]!.extensions?.code).toBe('UNAUTHENTICATED');
}

describe('rejected requests', () => {
  it('answers 401 UNAUTHENTICATED without a key', async () => {
    expectUnauthenticated(await t.gql(FLOWS, {}, { key: null }));
  });

  it('answers 401 UNAUTHENTICATED for an unknown key', async () => {
    expectUnauthenticated(await t.gql(FLOWS, {}, { key: 'cgw_this-key-was-never-issued' }));
  });

  it('answers 401 UNAUTHENTICATED for an unknown Bearer token', async () => {
    expectUnauthenticated(await t.gql(FLOWS, {}, { key: null, headers: { authorization: 'Bearer cgw_not-a-real-key' } }));
  });

  it('answers 401 for an empty x-api-key header', async () => {
    expectUnauthenticated(await t.gql(FLOWS, {}, { key: null, headers: { 'x-api-key': '' } }));
  });

  it('does not take a valid key under another Authorization scheme', async () => {
    expectUnauthenticated(await t.gql(FLOWS, {}, { key: null, headers: { authorization: `Basic ${t.keys.a}` } }));
  });

  it('answers 401 to a mutation without a key and changes nothing', async () => {
    const { chatId } = await chatWithMessages(t, 2);
    const before = await readChat(t, chatId);
    expectUnauthenticated(await t.gql(DELETE_CHAT, { id: chatId }, { key: null }));
    expectUnauthenticated(await t.gql(DELETE_CHAT, { id: chatId }, { key: 'cgw_unknown' }));
    expect(await readChat(t, chatId)).toEqual(before);
  });
});

describe('subscriptions', () => {
  it('answers 401 UNAUTHENTICATED to a subscription over SSE without a valid key', async () => {
    const { chatId } = await chatWithMessages(t, 1);
    for (const headers of [{}, { 'x-api-key': 'cgw_unknown' }] as Record<string, string>[]) {
      const response = await t.app.gateway.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
        body: JSON.stringify({ query: `subscription($c: ID!) { chatEvents(chatId: $c) { type } }`, variables: { c: chatId } }),
      });
      expect(response.status).toBe(401);
      const text = await response.text();
      expect(text).toContain('UNAUTHENTICATED');
    }
    expect((await readChat(t, chatId)).activeConnections).toBe(0);
  });
});

describe('accepted keys', () => {
  it('accepts the key in x-api-key', async () => {
    const flowId = await createFlow(t, 'Via x-api-key');
    const r = await t.gql(FLOWS, {}, { key: null, headers: { 'x-api-key': t.keys.a } });
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.flows.edges.map((e: any) => e.node.id)).toEqual([flowId]);
  });

  it('accepts the key as Authorization: Bearer <key>', async () => {
    const flowId = await createFlow(t, 'Via bearer');
    const r = await t.gql(FLOWS, {}, { key: null, headers: { authorization: `Bearer ${t.keys.a}` } });
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.flows.edges.map((e: any) => e.node.id)).toEqual([flowId]);
  });

  it('acts as the tenant of the Bearer key, for writes too', async () => {
    const r = await t.gql(
      `mutation { createFlow(input: { name: "made by B", type: AGENTFLOW }) { __typename ... on CreateFlowSuccess { flow { id } } } }`,
      {},
      { key: null, headers: { authorization: `Bearer ${t.keys.b}` } },
    );
    expect(r.body.data.createFlow.__typename).toBe('CreateFlowSuccess');
    const asB = await t.gql(FLOWS, {}, { key: t.keys.b });
    const asA = await t.gql(FLOWS, {}, { key: t.keys.a });
    expect(asB.body.data.flows.edges.map((e: any) => e.node.name)).toEqual(['made by B']);
    expect(asA.body.data.flows.edges).toEqual([]);
  });
});

describe('storage', () => {
  it('stores keys hashed: no raw key in the api_keys rows nor in the database files', async () => {
    const rows = await t.app.deps.store.db.selectFrom('api_keys').selectAll().execute();
    expect(rows).toHaveLength(2);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(t.keys.a);
    expect(stored).not.toContain(t.keys.b);
    if (t.engine !== 'sqlite') return;
    for (const file of [t.dbPath, `${t.dbPath}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(t.keys.a))).toBe(false);
      expect(bytes.includes(Buffer.from(t.keys.b))).toBe(false);
    }
  });
});
