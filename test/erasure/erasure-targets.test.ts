import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/domain/api-keys.ts';
import { createFlow } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';

// Erasure targets through GraphQL: who may add them, where they may point, what comes back.

const ADD = `mutation($input: AddErasureTargetInput!) {
  addErasureTarget(input: $input) {
    __typename
    ... on AddErasureTargetSuccess { target { id flowId kind name url keyPattern createdAt } }
    ... on ValidationError { fieldErrors { path message } }
    ... on NotFoundError { resourceType id }
  }
}`;
const REMOVE = `mutation($id: ID!) {
  removeErasureTarget(id: $id) { __typename ... on RemoveErasureTargetSuccess { target { id } } ... on NotFoundError { resourceType } }
}`;
const TARGETS = `query($id: ID!) { flow(id: $id) { erasureTargets { id kind name url keyPattern } } }`;

const SECRET = 'whsec_0123456789abcdef';
let t: TestApp;
let flowId: string;

beforeEach(async () => {
  t = await startTestApp({ config: { erasureTargetHosts: ['127.0.0.1', 'hooks.example.com:8443'] } });
  flowId = await createFlow(t);
});
afterEach(() => t.close());

const webhook = (extra: Record<string, unknown> = {}) => ({ flowId, kind: 'WEBHOOK', name: 'search index', url: 'http://127.0.0.1:9/hook', secret: SECRET, ...extra });
const redis = (extra: Record<string, unknown> = {}) => ({ flowId, kind: 'REDIS', name: 'memory', url: 'redis://:pa55word@127.0.0.1:6379/0', keyPattern: 'memory:{sessionId}', ...extra });

describe('addErasureTarget', () => {
  it('adds a WEBHOOK and a REDIS target, listed on the flow without credentials', async () => {
    const hook = (await t.gql(ADD, { input: webhook() })).body.data.addErasureTarget;
    expect(hook.__typename).toBe('AddErasureTargetSuccess');
    expect(hook.target).toMatchObject({ flowId, kind: 'WEBHOOK', name: 'search index', url: 'http://127.0.0.1:9/hook', keyPattern: null });
    const mem = (await t.gql(ADD, { input: redis() })).body.data.addErasureTarget;
    expect(mem.target.url).toBe('redis://127.0.0.1:6379/0');
    const listed = (await t.gql(TARGETS, { id: flowId })).body.data.flow.erasureTargets;
    expect(listed.map((x: { id: string }) => x.id)).toEqual([hook.target.id, mem.target.id]);
    const everything = JSON.stringify(listed) + JSON.stringify(hook) + JSON.stringify(mem);
    expect(everything).not.toContain('pa55word');
    expect(everything).not.toContain(SECRET);
  });

  it('records add and remove in the audit log, without credentials', async () => {
    const id = (await t.gql(ADD, { input: redis() })).body.data.addErasureTarget.target.id;
    expect((await t.gql(REMOVE, { id })).body.data.removeErasureTarget.__typename).toBe('RemoveErasureTargetSuccess');
    const log = (await t.gql(`{ auditLog(first: 5) { edges { node { action targetType targetId details } } } }`)).body.data.auditLog.edges;
    expect(log.map((e: { node: { action: string } }) => e.node.action)).toEqual(['erasure_target.remove', 'erasure_target.add']);
    expect(log[0].node).toMatchObject({ targetType: 'ERASURE_TARGET', targetId: id });
    expect(JSON.stringify(log)).not.toContain('pa55word');
  });

  it.each([
    ['a host not in ERASURE_TARGET_HOSTS', webhook({ url: 'http://10.0.0.8/hook' }), 'input.url', 'host 10.0.0.8 is not in ERASURE_TARGET_HOSTS'],
    ['an allowed host on another port than allowed', webhook({ url: 'https://hooks.example.com/hook' }), 'input.url', 'host hooks.example.com is not in ERASURE_TARGET_HOSTS'],
    ['a webhook URL that is not http(s)', webhook({ url: 'ftp://127.0.0.1/x' }), 'input.url', "a WEBHOOK target's URL must start with https:// or http://"],
    ['a redis URL that is not redis://', redis({ url: 'http://127.0.0.1:6379' }), 'input.url', "a REDIS target's URL must start with redis:// or rediss://"],
    ['a webhook URL with credentials', webhook({ url: 'http://user:pw@127.0.0.1/x' }), 'input.url', "a WEBHOOK target's URL must not hold credentials: the secret signs each event"],
    ['no URL at all', webhook({ url: 'not a url' }), 'input.url', 'must be an absolute URL'],
    ['a webhook without secret', webhook({ secret: null }), 'input.secret', 'a WEBHOOK target needs the secret its events are signed with'],
    ['a short secret', webhook({ secret: 'short' }), 'input.secret', 'must be 16 to 512 characters'],
    ['a webhook with a keyPattern', webhook({ keyPattern: 'x:{chatId}' }), 'input.keyPattern', 'only a REDIS target has a keyPattern'],
    ['a redis target without keyPattern', redis({ keyPattern: null }), 'input.keyPattern', 'a REDIS target needs a keyPattern, e.g. memory:{sessionId}'],
    ['a redis target with a secret', redis({ secret: SECRET }), 'input.secret', 'a REDIS target takes its password in the URL (redis://:password@host:6379)'],
    ['an empty name', webhook({ name: ' ' }), 'input.name', 'must not be empty'],
  ])('refuses %s with a ValidationError naming the field', async (_what, input, path, message) => {
    // The table was built before flowId existed.
    const result = (await t.gql(ADD, { input: { ...input, flowId } })).body.data.addErasureTarget;
    expect(result.__typename).toBe('ValidationError');
    expect(result.fieldErrors).toContainEqual({ path: path.split('.'), message });
    expect((await t.gql(TARGETS, { id: flowId })).body.data.flow.erasureTargets).toEqual([]);
  });

  it('refuses a bad keyPattern with the pattern rule', async () => {
    const result = (await t.gql(ADD, { input: redis({ keyPattern: 'memory:{userId}' }) })).body.data.addErasureTarget;
    expect(result.__typename).toBe('ValidationError');
    expect(result.fieldErrors[0].path).toEqual(['input', 'keyPattern']);
  });

  it('lists every problem at once', async () => {
    const result = (await t.gql(ADD, { input: webhook({ url: 'http://10.0.0.8/x', secret: null, name: '' }) })).body.data.addErasureTarget;
    expect(result.fieldErrors.map((e: { path: string[] }) => e.path.join('.')).sort()).toEqual(['input.name', 'input.secret', 'input.url']);
  });

  it('allows no host at all by default', async () => {
    const closed = await startTestApp();
    try {
      const id = await createFlow(closed);
      const result = (await closed.gql(ADD, { input: { ...webhook(), flowId: id } })).body.data.addErasureTarget;
      expect(result.fieldErrors).toContainEqual({
        path: ['input', 'url'],
        message: 'no erasure target host is allowed: the operator lists them in ERASURE_TARGET_HOSTS',
      });
    } finally {
      await closed.close();
    }
  });

  it("answers NotFoundError FLOW for another tenant's flow, and adds nothing", async () => {
    const result = (await t.gql(ADD, { input: webhook() }, { key: t.keys.b })).body.data.addErasureTarget;
    expect(result).toEqual({ __typename: 'NotFoundError', resourceType: 'FLOW', id: flowId });
    expect((await t.gql(TARGETS, { id: flowId })).body.data.flow.erasureTargets).toEqual([]);
  });

  it('needs the admin permission, which default keys do not have', async () => {
    const plain = await createApiKey(t.app.deps.store.db, { tenant: 'tenant-a', name: 'plain' }, new Date().toISOString());
    expect(plain.permissions).toEqual(['read', 'write', 'delete']);
    const add = await t.gql(ADD, { input: webhook() }, { key: plain.key });
    expect(add.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const list = await t.gql(TARGETS, { id: flowId }, { key: plain.key });
    expect(list.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(TARGETS, { id: flowId })).body.data.flow.erasureTargets).toEqual([]);
  });
});

describe('removeErasureTarget', () => {
  it("removes once; a second time, a bad id or another tenant's target is NotFoundError", async () => {
    const id = (await t.gql(ADD, { input: webhook() })).body.data.addErasureTarget.target.id;
    expect((await t.gql(REMOVE, { id }, { key: t.keys.b })).body.data.removeErasureTarget).toEqual({ __typename: 'NotFoundError', resourceType: 'ERASURE_TARGET' });
    expect((await t.gql(REMOVE, { id })).body.data.removeErasureTarget.target.id).toBe(id);
    expect((await t.gql(REMOVE, { id })).body.data.removeErasureTarget.__typename).toBe('NotFoundError');
    expect((await t.gql(REMOVE, { id: 'nope' })).body.data.removeErasureTarget.__typename).toBe('NotFoundError');
    expect((await t.gql(TARGETS, { id: flowId })).body.data.flow.erasureTargets).toEqual([]);
  });
});
