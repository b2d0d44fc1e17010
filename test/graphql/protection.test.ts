import { afterEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/domain/api-keys.ts';
import { createFlow } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';

let t: TestApp;
afterEach(async () => t.close());

const CREATE_FLOW = `mutation { createFlow(input: { name: "f", type: CHATFLOW }) { __typename } }`;

describe('limits on what one request may ask', () => {
  it('rejects too many aliases, too deep a query and too many tokens with a coded error', async () => {
    t = await startTestApp({ limits: { maxAliases: 5, maxDepth: 4, maxTokens: 200 } });
    const aliases = `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: flows { edges { node { id } } }`).join(' ')} }`;
    expect((await t.gql(aliases)).body.errors?.[0]?.extensions?.code).toBe('ALIAS_LIMIT_EXCEEDED');
    const deep = '{ chats { edges { node { threads { edges { node { id } } } } } } }';
    expect((await t.gql(deep)).body.errors?.[0]?.extensions?.code).toBe('DEPTH_LIMIT_EXCEEDED');
    const long = `{ ${Array.from({ length: 80 }, (_, i) => `f${i}: __typename`).join(' ')} }`;
    expect((await t.gql(long)).body.errors?.[0]?.extensions?.code).toBe('TOKEN_LIMIT_EXCEEDED');
    expect((await t.gql('{ flows { edges { node { id } } } }')).body.errors).toBeUndefined();
  });

  it.each([
    ['ALIAS_LIMIT_EXCEEDED', `{ ${Array.from({ length: 6 }, (_, i) => `a${i}: flows { edges { node { id } } }`).join(' ')} }`],
    ['DEPTH_LIMIT_EXCEEDED', '{ chats { edges { node { threads { edges { node { id } } } } } } }'],
    ['DEPTH_LIMIT_EXCEEDED', `{ flows(first: ${'['.repeat(101)}1${']'.repeat(101)}) { __typename } }`],
    ['TOKEN_LIMIT_EXCEEDED', `{ ${Array.from({ length: 80 }, (_, i) => `f${i}: flows { __typename }`).join(' ')} }`],
    ['DIRECTIVE_LIMIT_EXCEEDED', `{ __typename ${'@include(if: true) '.repeat(4)} }`],
    ['COST_LIMIT_EXCEEDED', '{ flows { edges { node { id name } } } }'],
  ])('a %s refusal is a request error: 400 under application/graphql-response+json, 200 under application/json', async (code, query) => {
    t = await startTestApp({ limits: { maxAliases: 5, maxDepth: 6, maxTokens: 200, maxDirectives: 3, maxCost: 10 } });
    const strict = await t.gql(query, {}, { headers: { accept: 'application/graphql-response+json' } });
    expect({ status: strict.status, code: strict.body.errors?.[0]?.extensions?.code, data: strict.body.data }).toEqual({ status: 400, code, data: undefined });
    expect(strict.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    const legacy = await t.gql(query, {}, { headers: { accept: 'application/json' } });
    expect({ status: legacy.status, code: legacy.body.errors?.[0]?.extensions?.code }).toEqual({ status: 200, code });
  });

  it('counts `__typename` aliases too: 1,000 of them are refused at the default limit', async () => {
    t = await startTestApp();
    const query = `{ ${Array.from({ length: 1000 }, (_, i) => `t${i}: __typename`).join(' ')} }`;
    const r = await t.gql(query, {}, { headers: { accept: 'application/graphql-response+json' } });
    expect({ status: r.status, code: r.body.errors?.[0]?.extensions?.code }).toEqual({ status: 400, code: 'ALIAS_LIMIT_EXCEEDED' });
    expect((await t.gql('{ a: __typename b: __typename }')).body.data).toEqual({ a: 'Query', b: 'Query' });
  });

  it('refuses a body over the limit with 413, before reading it as GraphQL', async () => {
    t = await startTestApp({ limits: { maxBodyBytes: 1000 } });
    const r = await t.gql(`mutation($n: String!) { createFlow(input: { name: $n, type: CHATFLOW }) { __typename } }`, { n: 'x'.repeat(2000) });
    expect(r.status).toBe(413);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await t.gql('{ flows { edges { node { id } } } }')).body.data.flows.edges).toEqual([]);
  });

  it('refuses a streamed body (no Content-Length) over the limit with 413 too', async () => {
    t = await startTestApp({ limits: { maxBodyBytes: 1000 } });
    const json = JSON.stringify({ query: `{ flows { edges { node { id } } } }`, variables: { pad: 'x'.repeat(2000) } });
    const chunks = [json.slice(0, 500), json.slice(500)].map((part) => new TextEncoder().encode(part));
    const body = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const r = await t.app.gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': t.keys.a },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(r.status).toBe(413);
  });

  it('refuses a cross-site simple request (form content type, no key header) with 403', async () => {
    t = await startTestApp();
    const r = await t.app.gateway.fetch('http://gateway.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: CREATE_FLOW }),
    });
    expect(r.status).toBe(403);
  });

  it('can turn introspection off', async () => {
    t = await startTestApp({ limits: { introspection: false } });
    const r = await t.gql('{ __schema { queryType { name } } }');
    expect(r.body.errors?.[0]?.message).toMatch(/introspection/i);
    expect((await t.gql('{ flows { edges { node { id } } } }')).body.errors).toBeUndefined();
  });
});

describe('write rate limit per API key', () => {
  it('answers 429 RATE_LIMITED with Retry-After once a key has used its writes; reads and other keys go on', async () => {
    t = await startTestApp({ limits: { writesPerMinute: 3 } });
    for (let i = 0; i < 3; i++) expect((await t.gql(CREATE_FLOW)).body.data.createFlow.__typename).toBe('CreateFlowSuccess');
    const limited = await t.gql(CREATE_FLOW);
    expect(limited.status).toBe(429);
    expect(limited.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 20 });
    expect(limited.headers.get('retry-after')).toBe('20');
    expect((await t.gql('{ flows { edges { node { id } } } }')).body.data.flows.edges).toHaveLength(3);
    expect((await t.gql(CREATE_FLOW, {}, { key: t.keys.b })).body.data.createFlow.__typename).toBe('CreateFlowSuccess');
    const rest = await t.app.gateway.fetch('http://gateway.test/api/v1/chats/a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', {
      method: 'DELETE',
      headers: { 'x-api-key': t.keys.a },
    });
    expect(rest.status).toBe(429);
    expect(rest.headers.get('retry-after')).toBe('20');
  });
});

describe('API key permissions', () => {
  it('a read-only key reads but may not write or delete (GraphQL FORBIDDEN, REST 403)', async () => {
    t = await startTestApp();
    const flowId = await createFlow(t);
    const readOnly = await createApiKey(t.app.deps.store.db, { tenant: 'tenant-a', name: 'reader', permissions: ['read'] }, new Date().toISOString());
    expect((await t.gql('{ flows { edges { node { id } } } }', {}, { key: readOnly.key })).body.data.flows.edges).toEqual([{ node: { id: flowId } }]);
    const write = await t.gql(CREATE_FLOW, {}, { key: readOnly.key });
    expect(write.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const del = await t.gql(`mutation($f: ID!) { deleteMessages(flowId: $f) { __typename } }`, { f: flowId }, { key: readOnly.key });
    expect(del.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const rest = await t.app.gateway.fetch(`http://gateway.test/api/v1/chatmessage/${flowId}`, {
      method: 'DELETE',
      headers: { 'x-api-key': readOnly.key },
    });
    expect(rest.status).toBe(403);
  });

  it('a write key without delete creates but may not delete', async () => {
    t = await startTestApp();
    const writer = await createApiKey(t.app.deps.store.db, { tenant: 'tenant-a', name: 'writer', permissions: ['read', 'write'] }, new Date().toISOString());
    const created = await t.gql(`mutation { createFlow(input: { name: "w", type: CHATFLOW }) { ... on CreateFlowSuccess { flow { id } } } }`, {}, { key: writer.key });
    const flowId = created.body.data.createFlow.flow.id;
    const del = await t.gql(`mutation($f: ID!) { deleteMessages(flowId: $f) { __typename } }`, { f: flowId }, { key: writer.key });
    expect(del.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
