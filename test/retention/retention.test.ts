import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/domain/api-keys.ts';
import { runAllRetention } from '../../src/domain/retention.ts';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';

// Retention policies, as an operator uses them: set per flow or as the tenant's default,
// run now (or dry), and chats older than their policy are erased as deleteChat(force)
// erases them, each audited as system:retention, with one retention.run entry per run.

const DAY = 86_400_000;
const SET = `mutation($input: SetRetentionPolicyInput!) {
  setRetentionPolicy(input: $input) {
    __typename
    ... on SetRetentionPolicySuccess { policy { id flowId maxAgeDays createdAt updatedAt } }
    ... on NotFoundError { resourceType id }
    ... on ValidationError { fieldErrors { path message } }
  }
}`;
const RUN = `mutation($dryRun: Boolean) {
  runRetention(dryRun: $dryRun) {
    __typename
    ... on RunRetentionSuccess { dryRun erasedChatCount erasedMessageCount heldChatCount receipt { id action status counts copies { targetId } } }
    ... on ValidationError { fieldErrors { path message } }
  }
}`;
const CHAT_EXISTS = `query($id: ID!) { chat(id: $id) { id } }`;

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

async function setPolicy(input: { flowId?: string | null; maxAgeDays: number }, key?: string) {
  return (await t.gql(SET, { input }, { key })).body.data.setRetentionPolicy;
}

async function exists(chatId: string, key?: string): Promise<boolean> {
  return (await t.gql(CHAT_EXISTS, { id: chatId }, { key })).body.data.chat !== null;
}

/** A chat with `messages` messages, its last activity now (as the test clock stands). */
async function chatIn(flowId: string, messages: number, title = 'A chat', key?: string): Promise<string> {
  const chatId = await createChat(t, flowId, title, key);
  const threadId = await createThread(t, chatId, 'T', key);
  for (let i = 0; i < messages; i++) await postMessage(t, threadId, { content: `message ${i}` }, key);
  return chatId;
}

async function auditActions(): Promise<{ action: string; actor: string; targetId: string; details: any }[]> {
  const rows = await t.app.deps.store.db.selectFrom('audit_log').select(['action', 'actor', 'target_id', 'details']).orderBy('seq').execute();
  return rows.map((r) => ({ action: r.action, actor: r.actor, targetId: r.target_id, details: JSON.parse(r.details ?? 'null') }));
}

describe('retention policies', () => {
  it('sets a flow policy and the default, updates in place (same id), lists and removes them, all audited', async () => {
    const flowId = await createFlow(t);
    const first = await setPolicy({ flowId, maxAgeDays: 30 });
    expect(first).toMatchObject({ __typename: 'SetRetentionPolicySuccess', policy: { flowId, maxAgeDays: 30 } });
    t.clock.advance(1000);
    const again = await setPolicy({ flowId, maxAgeDays: 7 });
    expect(again.policy.id).toBe(first.policy.id);
    expect(again.policy.maxAgeDays).toBe(7);
    expect(again.policy.createdAt).toBe(first.policy.createdAt);
    expect(Date.parse(again.policy.updatedAt)).toBeGreaterThan(Date.parse(first.policy.createdAt));
    const fallback = await setPolicy({ maxAgeDays: 365 });
    expect(fallback.policy).toMatchObject({ flowId: null, maxAgeDays: 365 });

    const listed = (await t.gql(`{ retentionPolicies { id flowId maxAgeDays } }`)).body.data.retentionPolicies;
    expect(listed).toEqual([
      { id: fallback.policy.id, flowId: null, maxAgeDays: 365 },
      { id: first.policy.id, flowId, maxAgeDays: 7 },
    ]);
    // Tenant B sees none of A's.
    expect((await t.gql(`{ retentionPolicies { id } }`, {}, { key: t.keys.b })).body.data.retentionPolicies).toEqual([]);

    const removed = (await t.gql(`mutation($id: ID!) { removeRetentionPolicy(id: $id) { __typename ... on RemoveRetentionPolicySuccess { policy { id } } } }`, { id: first.policy.id }))
      .body.data.removeRetentionPolicy;
    expect(removed).toEqual({ __typename: 'RemoveRetentionPolicySuccess', policy: { id: first.policy.id } });
    const gone = (await t.gql(`mutation($id: ID!) { removeRetentionPolicy(id: $id) { __typename ... on NotFoundError { resourceType id } } }`, { id: first.policy.id }))
      .body.data.removeRetentionPolicy;
    expect(gone).toEqual({ __typename: 'NotFoundError', resourceType: 'RETENTION_POLICY', id: first.policy.id });

    const actions = (await auditActions()).filter((a) => a.action.startsWith('retention_policy.'));
    expect(actions.map((a) => [a.action, a.targetId])).toEqual([
      ['retention_policy.set', first.policy.id],
      ['retention_policy.set', first.policy.id],
      ['retention_policy.set', fallback.policy.id],
      ['retention_policy.remove', first.policy.id],
    ]);
    expect(actions[1]!.details).toEqual({ flowId, maxAgeDays: 7, previousMaxAgeDays: 30 });
  });

  it('refuses what is no policy: every problem at once; another tenant’s flow is not found', async () => {
    const bad = await setPolicy({ flowId: 'not-a-uuid', maxAgeDays: 0 });
    expect(bad.__typename).toBe('ValidationError');
    expect(bad.fieldErrors.map((e: { path: string[] }) => e.path.join('.')).sort()).toEqual(['input.flowId', 'input.maxAgeDays']);
    expect((await setPolicy({ maxAgeDays: -3 })).fieldErrors[0].message).toMatch(/positive/);
    expect((await setPolicy({ maxAgeDays: 10_000_000 })).__typename).toBe('ValidationError');
    const ofB = await createFlow(t, 'of B', t.keys.b);
    expect(await setPolicy({ flowId: ofB, maxAgeDays: 3 })).toEqual({ __typename: 'NotFoundError', resourceType: 'FLOW', id: ofB });
  });

  it('needs the admin permission, which default keys do not have, to read, set, remove or run', async () => {
    const plain = await createApiKey(t.app.deps.store.db, { tenant: 'tenant-a', name: 'plain' }, new Date().toISOString());
    const flowId = await createFlow(t);
    const set = await t.gql(SET, { input: { flowId, maxAgeDays: 1 } }, { key: plain.key });
    expect(set.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(`{ retentionPolicies { id } }`, {}, { key: plain.key })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(RUN, {}, { key: plain.key })).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql(`{ retentionPolicies { id } }`)).body.data.retentionPolicies).toEqual([]);
  });
});

describe('runRetention', () => {
  it('erases exactly the chats older than their policy, counts them, and audits each as system:retention', async () => {
    const kept = await createFlow(t, 'kept 30 days');
    const other = await createFlow(t, 'default applies');
    const oldKept = await chatIn(kept, 3, 'old, in the 30-day flow');
    const oldOther = await chatIn(other, 2, 'old, in a flow without its own policy');
    const emptyOld = await createChat(t, other, 'old and empty');
    t.clock.advance(20 * DAY);
    const recent = await chatIn(kept, 1, 'recent');
    // Activity renews a chat: an old chat with a new message is not old.
    const renewed = await chatIn(other, 1, 'renewed');
    t.clock.advance(15 * DAY);
    await postMessage(t, await createThread(t, renewed), { content: 'still here' });
    const ofB = await chatIn(await createFlow(t, 'B', t.keys.b), 2, 'B’s old chat', t.keys.b);
    t.clock.advance(1 * DAY);
    // Now: oldKept and oldOther are 36 days old, recent is 16, renewed's last message is 1 day old.
    await setPolicy({ flowId: kept, maxAgeDays: 30 });
    await setPolicy({ maxAgeDays: 10 });

    const dry = (await t.gql(RUN, { dryRun: true })).body.data.runRetention;
    expect(dry).toEqual({ __typename: 'RunRetentionSuccess', dryRun: true, erasedChatCount: 3, erasedMessageCount: 5, heldChatCount: 0, receipt: null });
    for (const id of [oldKept, oldOther, emptyOld, recent, renewed]) expect(await exists(id)).toBe(true);
    const auditBefore = (await auditActions()).length;

    const run = (await t.gql(RUN)).body.data.runRetention;
    expect(run).toMatchObject({ __typename: 'RunRetentionSuccess', dryRun: false, erasedChatCount: 3, erasedMessageCount: 5, heldChatCount: 0 });
    expect(run.receipt).toMatchObject({ action: 'retention.run', status: 'COMPLETE', counts: { chats: 3, messages: 5 }, copies: [] });
    for (const id of [oldKept, oldOther, emptyOld]) expect(await exists(id)).toBe(false);
    for (const id of [recent, renewed]) expect(await exists(id)).toBe(true);
    // Tenant B has no policy: its old chat stays.
    expect(await exists(ofB, t.keys.b)).toBe(true);

    const written = (await auditActions()).slice(auditBefore);
    expect(written.filter((a) => a.action === 'chat.delete').map((a) => [a.targetId, a.actor]).sort()).toEqual(
      [oldKept, oldOther, emptyOld].map((id) => [id, 'system:retention']).sort(),
    );
    const runs = written.filter((a) => a.action === 'retention.run');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ actor: 'system:retention', details: { erasedChatCount: 3, erasedMessageCount: 5, heldChatCount: 0 } });
    // The messages are gone from the database, not just hidden.
    const left = await t.app.deps.store.db.selectFrom('messages').select('chat_id').where('chat_id', 'in', [oldKept, oldOther]).execute();
    expect(left).toEqual([]);

    // Nothing left to erase: the next run answers zeros, and writes no run entry nor receipt.
    const idle = (await t.gql(RUN)).body.data.runRetention;
    expect(idle).toEqual({ __typename: 'RunRetentionSuccess', dryRun: false, erasedChatCount: 0, erasedMessageCount: 0, heldChatCount: 0, receipt: null });
    expect((await auditActions()).filter((a) => a.action === 'retention.run')).toHaveLength(1);
  });

  it('a legal hold keeps a chat past its age: counted as held in a dry run and a real run, erased once released', async () => {
    const flowId = await createFlow(t);
    const held = await chatIn(flowId, 2, 'held');
    const free = await chatIn(flowId, 1, 'free');
    t.clock.advance(40 * DAY);
    await setPolicy({ maxAgeDays: 30 });
    const placed = (
      await t.gql(`mutation($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { ... on PlaceLegalHoldSuccess { hold { id } } } }`, {
        input: { scope: 'CHAT', targetId: held, reason: 'litigation 2026-17' },
      })
    ).body.data.placeLegalHold.hold.id;
    expect((await t.gql(RUN, { dryRun: true })).body.data.runRetention).toMatchObject({ erasedChatCount: 1, erasedMessageCount: 1, heldChatCount: 1 });
    const run = (await t.gql(RUN)).body.data.runRetention;
    expect(run).toMatchObject({ erasedChatCount: 1, erasedMessageCount: 1, heldChatCount: 1 });
    expect(await exists(held)).toBe(true);
    expect(await exists(free)).toBe(false);
    await t.gql(`mutation($id: ID!) { releaseLegalHold(id: $id) { __typename } }`, { id: placed });
    expect((await t.gql(RUN)).body.data.runRetention).toMatchObject({ erasedChatCount: 1, erasedMessageCount: 2, heldChatCount: 0 });
    expect(await exists(held)).toBe(false);
    const metrics = await (await t.app.gateway.fetch('http://gateway.test/metrics')).text();
    expect(metrics).toMatch(/^chat_gateway_retention_chats_total\{outcome="held"\} 1$/m);
  });

  it('a flow policy overrides the default for its flow, longer or shorter', async () => {
    const lenient = await createFlow(t, 'keeps 100 days');
    const chatId = await chatIn(lenient, 1);
    t.clock.advance(50 * DAY);
    await setPolicy({ flowId: lenient, maxAgeDays: 100 });
    await setPolicy({ maxAgeDays: 10 });
    expect((await t.gql(RUN)).body.data.runRetention.erasedChatCount).toBe(0);
    expect(await exists(chatId)).toBe(true);
  });

  it('one run at a time: a run while another holds the lease answers a ValidationError and erases nothing', async () => {
    const flowId = await createFlow(t);
    const chatId = await chatIn(flowId, 1);
    t.clock.advance(5 * DAY);
    await setPolicy({ maxAgeDays: 1 });
    const now = t.clock.now().toISOString();
    await t.app.deps.store.db.insertInto('leases').values({ name: 'retention', holder: 'another replica', leased_until: new Date(Date.parse(now) + 60_000).toISOString() }).execute();
    const busy = (await t.gql(RUN)).body.data.runRetention;
    expect(busy.__typename).toBe('ValidationError');
    expect(busy.fieldErrors[0].message).toMatch(/already under way/);
    expect(await runAllRetention(t.app.deps, { dryRun: false })).toBeUndefined();
    expect(await exists(chatId)).toBe(true);
    // A lease that ran out (its holder died) is taken over.
    t.clock.advance(61_000);
    expect((await t.gql(RUN)).body.data.runRetention.erasedChatCount).toBe(1);
    expect(await t.app.deps.store.db.selectFrom('leases').selectAll().execute()).toEqual([]);
  });

  it('the server-wide run covers every tenant with policies, each with its own run entry', async () => {
    const a = await chatIn(await createFlow(t), 2);
    const b = await chatIn(await createFlow(t, 'B', t.keys.b), 1, 'B', t.keys.b);
    t.clock.advance(3 * DAY);
    await setPolicy({ maxAgeDays: 2 });
    await setPolicy({ maxAgeDays: 2 }, t.keys.b);
    const outcomes = await runAllRetention(t.app.deps, { dryRun: false });
    expect([...outcomes!.values()].map((o) => [o.erasedChatCount, o.erasedMessageCount]).sort()).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(await exists(a)).toBe(false);
    expect(await exists(b, t.keys.b)).toBe(false);
    const metrics = await (await t.app.gateway.fetch('http://gateway.test/metrics')).text();
    expect(metrics).toMatch(/^chat_gateway_retention_chats_total\{outcome="erased"\} 2$/m);
    expect(metrics).toMatch(/^chat_gateway_retention_runs_total\{dry_run="false"\} 2$/m);
  });
});
