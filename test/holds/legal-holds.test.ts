import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/domain/api-keys.ts';
import { purgeExpiredThreads } from '../../src/domain/purge.ts';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { DAY_MS, auditEntries, messageIds, readChat, readThread, startStream, waitForStatus } from '../graphql/documents.ts';
import { LIST, PLACE, del, everyRowCount, heldBy, hold, listHoldIds, place, release } from './holds.ts';

// Legal holds (docs/design.md#legal-holds): while a hold is active nothing it covers can be
// erased; every delete of it answers ConflictError LEGAL_HOLD with the holds' ids and
// changes nothing. A soft delete is allowed, and the purge keeps it while held.

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

/**
 * Flow F1: chat C1 (thread T1: messages of sessions s1 and s2), chat C3 (thread T3: s2).
 * Flow F2: chat C2 (thread T2: s1). A hold on session s1 covers C1 and C2, not C3.
 */
async function fixture() {
  const F1 = await createFlow(t, 'F1');
  const F2 = await createFlow(t, 'F2');
  const C1 = await createChat(t, F1, 'C1');
  const C3 = await createChat(t, F1, 'C3');
  const C2 = await createChat(t, F2, 'C2');
  const T1 = await createThread(t, C1, 'T1');
  const T3 = await createThread(t, C3, 'T3');
  const T2 = await createThread(t, C2, 'T2');
  await postMessage(t, T1, { sessionId: 's1', content: 'held words' });
  await postMessage(t, T1, { sessionId: 's2' });
  await postMessage(t, T3, { sessionId: 's2' });
  await postMessage(t, T2, { sessionId: 's1', content: 'held in another flow' });
  return { F1, F2, C1, C2, C3, T1, T2, T3 };
}

describe('placeLegalHold, legalHolds, releaseLegalHold', () => {
  it('places a hold on a FLOW, a CHAT and a SESSION, lists them by state, and audits place and release', async () => {
    const f = await fixture();
    const placed = await place(t, { scope: 'CHAT', targetId: f.C1, reason: '  Subpoena 42  ' });
    expect(placed).toEqual({
      __typename: 'PlaceLegalHoldSuccess',
      hold: { id: expect.any(String), scope: 'CHAT', targetId: f.C1, reason: 'Subpoena 42', createdAt: expect.any(String), createdBy: 'key-a', releasedAt: null },
    });
    const flowHold = await hold(t, 'FLOW', f.F2);
    const sessionHold = await hold(t, 'SESSION', 's1');
    const released = await release(t, flowHold);
    expect(released.hold).toMatchObject({ id: flowHold, releasedAt: expect.any(String) });

    expect(await listHoldIds(t, true)).toEqual([placed.hold.id, sessionHold]);
    expect(await listHoldIds(t, false)).toEqual([flowHold]);
    expect(await listHoldIds(t)).toEqual([placed.hold.id, flowHold, sessionHold]);
    const actions = (await auditEntries(t)).filter((e) => e.action.startsWith('legal_hold.'));
    expect(actions.map((e) => [e.action, e.targetType, e.targetId])).toEqual([
      ['legal_hold.release', 'LEGAL_HOLD', flowHold],
      ['legal_hold.place', 'LEGAL_HOLD', sessionHold],
      ['legal_hold.place', 'LEGAL_HOLD', flowHold],
      ['legal_hold.place', 'LEGAL_HOLD', placed.hold.id],
    ]);
  });

  it('pages through legalHolds as a Relay connection', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await hold(t, 'SESSION', `subject-${i}`));
    const first = (await t.gql(LIST, { first: 2 })).body.data.legalHolds;
    expect(first.edges.map((e: any) => e.node.id)).toEqual(ids.slice(0, 2));
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = (await t.gql(LIST, { first: 2, after: first.pageInfo.endCursor })).body.data.legalHolds;
    expect(rest.edges.map((e: any) => e.node.id)).toEqual(ids.slice(2));
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('releasing a released hold answers it unchanged, with one release in the audit log', async () => {
    const id = await hold(t, 'SESSION', 's1');
    const first = await release(t, id);
    t.clock.advance(60_000);
    expect(await release(t, id)).toEqual(first);
    expect((await auditEntries(t)).filter((e) => e.action === 'legal_hold.release')).toHaveLength(1);
  });

  it.each([
    ['an empty reason', { scope: 'SESSION', targetId: 's1', reason: '   ' }, ['input', 'reason'], 'must not be empty'],
    ['a reason over 1000 characters', { scope: 'SESSION', targetId: 's1', reason: 'x'.repeat(1001) }, ['input', 'reason'], 'must be at most 1000 characters'],
    ['a FLOW target that is no UUID', { scope: 'FLOW', targetId: 'flow-1' }, ['input', 'targetId'], 'must be a UUID'],
    ['a CHAT target that is no UUID', { scope: 'CHAT', targetId: '' }, ['input', 'targetId'], 'must not be empty'],
    ['an empty SESSION target', { scope: 'SESSION', targetId: ' ' }, ['input', 'targetId'], 'must not be empty'],
    ['a SESSION target with a NUL', { scope: 'SESSION', targetId: 'a\u0000b' }, ['input', 'targetId'], 'must not contain NUL characters'],
  ])('refuses %s with a ValidationError naming the field, and places nothing', async (_what, input, path, message) => {
    const r = await place(t, input);
    expect(r.__typename).toBe('ValidationError');
    expect(r.fieldErrors).toContainEqual({ path, message });
    expect(await listHoldIds(t)).toEqual([]);
  });

  it("answers NotFoundError for a missing flow or chat, and for another tenant's", async () => {
    const f = await fixture();
    const theirFlow = await createFlow(t, 'B', t.keys.b);
    const theirChat = await createChat(t, theirFlow, 'B chat', t.keys.b);
    for (const [scope, targetId] of [
      ['FLOW', '00000000-0000-4000-8000-000000000001'],
      ['CHAT', '00000000-0000-4000-8000-000000000001'],
      ['FLOW', theirFlow],
      ['CHAT', theirChat],
    ] as const) {
      expect(await place(t, { scope, targetId })).toMatchObject({ __typename: 'NotFoundError', resourceType: scope, id: targetId });
    }
    expect(await listHoldIds(t)).toEqual([]);
    expect((await place(t, { scope: 'CHAT', targetId: f.C1 })).__typename).toBe('PlaceLegalHoldSuccess');
  });

  it("is tenant-scoped: B neither sees nor releases A's holds, and A's hold does not block B", async () => {
    const id = await hold(t, 'SESSION', 's1');
    expect(await listHoldIds(t, undefined, t.keys.b)).toEqual([]);
    expect(await release(t, id, t.keys.b)).toMatchObject({ __typename: 'NotFoundError', resourceType: 'LEGAL_HOLD', id });
    expect(await listHoldIds(t, true)).toEqual([id]);
    const theirFlow = await createFlow(t, 'B', t.keys.b);
    const theirThread = await createThread(t, await createChat(t, theirFlow, 'B', t.keys.b), 'B', t.keys.b);
    await postMessage(t, theirThread, { sessionId: 's1' }, t.keys.b);
    expect(await del(t, 'deleteMessages', { flowId: theirFlow }, t.keys.b)).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 1 });
  });

  it('needs the admin permission for placing, releasing and listing', async () => {
    const id = await hold(t, 'SESSION', 's1');
    const plain = await createApiKey(t.app.deps.store.db, { tenant: 'tenant-a', name: 'no-admin', permissions: ['read', 'write', 'delete'] }, new Date().toISOString());
    for (const [query, variables] of [
      [PLACE, { input: { scope: 'SESSION', targetId: 's2', reason: 'r' } }],
      [`mutation($id: ID!) { releaseLegalHold(id: $id) { __typename } }`, { id }],
      [LIST, {}],
    ] as const) {
      const r = await t.gql(query, variables, { key: plain.key });
      expect(r.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await listHoldIds(t, true)).toEqual([id]);
  });

  it('answers NotFoundError for a release of an unknown or malformed id', async () => {
    expect(await release(t, '00000000-0000-4000-8000-000000000009')).toMatchObject({ __typename: 'NotFoundError', resourceType: 'LEGAL_HOLD' });
    expect(await release(t, 'nope')).toMatchObject({ __typename: 'NotFoundError', resourceType: 'LEGAL_HOLD', id: 'nope' });
  });
});

describe('a held erasure', () => {
  it('deleteChat of a held chat answers LEGAL_HOLD with the holds (chat and flow, oldest first), keeps every row, and works once released', async () => {
    const f = await fixture();
    const chatHold = await hold(t, 'CHAT', f.C1);
    const flowHold = await hold(t, 'FLOW', f.F1);
    const before = await everyRowCount(t);
    expect(await del(t, 'deleteChat', { id: f.C1 })).toEqual(heldBy(chatHold, flowHold));
    expect(await del(t, 'deleteChat', { id: f.C1, force: true })).toEqual(heldBy(chatHold, flowHold));
    expect(await everyRowCount(t)).toEqual(before);
    expect(await readChat(t, f.C1)).toMatchObject({ id: f.C1 });
    await release(t, chatHold);
    expect(await del(t, 'deleteChat', { id: f.C1 })).toEqual(heldBy(flowHold));
    await release(t, flowHold);
    expect(await del(t, 'deleteChat', { id: f.C1 })).toMatchObject({ __typename: 'DeleteChatSuccess', deletedMessageCount: 2 });
    expect(await readChat(t, f.C1)).toBeNull();
  });

  it('deleteThread(permanent) of a held chat answers LEGAL_HOLD; a soft delete is allowed, and the purge keeps the thread while held', async () => {
    const f = await fixture();
    const id = await hold(t, 'CHAT', f.C1);
    expect(await del(t, 'deleteThread', { id: f.T1, permanent: true })).toEqual(heldBy(id));
    expect(await del(t, 'deleteThread', { id: f.T1 })).toMatchObject({ __typename: 'DeleteThreadSuccess', softDelete: true });
    expect(await del(t, 'deleteThread', { id: f.T1, permanent: true })).toEqual(heldBy(id));
    t.clock.advance(31 * DAY_MS);
    expect(await purgeExpiredThreads(t.app.deps)).toEqual({ purged: 0, held: 1 });
    expect(await messageIdsOfThread(f.T1)).toHaveLength(2);
    await release(t, id);
    expect(await purgeExpiredThreads(t.app.deps)).toEqual({ purged: 1, held: 0 });
    expect(await messageIdsOfThread(f.T1)).toHaveLength(0);
  });

  it('the purge goes on past held threads to the ones it may erase', async () => {
    const f = await fixture();
    const id = await hold(t, 'SESSION', 's1');
    await del(t, 'deleteThread', { id: f.T1 });
    await del(t, 'deleteThread', { id: f.T3 });
    await del(t, 'deleteThread', { id: f.T2 });
    t.clock.advance(31 * DAY_MS);
    expect(await purgeExpiredThreads(t.app.deps)).toEqual({ purged: 1, held: 2 });
    expect(await messageIdsOfThread(f.T3)).toHaveLength(0);
    expect(await messageIdsOfThread(f.T1)).toHaveLength(2);
    expect(await messageIdsOfThread(f.T2)).toHaveLength(1);
    await release(t, id);
  });

  it("a SESSION hold blocks every delete touching that session's messages, in any flow, and no other", async () => {
    const f = await fixture();
    const id = await hold(t, 'SESSION', 's1');
    const before = await everyRowCount(t);
    expect(await del(t, 'deleteChat', { id: f.C1 })).toEqual(heldBy(id));
    expect(await del(t, 'deleteChat', { id: f.C2 })).toEqual(heldBy(id));
    expect(await del(t, 'deleteThread', { id: f.T2, permanent: true })).toEqual(heldBy(id));
    expect(await del(t, 'deleteMessages', { flowId: f.F1 })).toEqual(heldBy(id));
    expect(await del(t, 'deleteMessages', { flowId: f.F2, hardDelete: true })).toEqual(heldBy(id));
    expect(await del(t, 'deleteMessages', { flowId: f.F1, filter: { sessionId: 's1' } })).toEqual(heldBy(id));
    expect(await everyRowCount(t)).toEqual(before);
    // Not that session: free to go.
    expect(await del(t, 'deleteMessages', { flowId: f.F1, filter: { sessionId: 's2', chatId: f.C1 } })).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 1 });
    expect(await del(t, 'deleteChat', { id: f.C3 })).toMatchObject({ __typename: 'DeleteChatSuccess', deletedMessageCount: 1 });
    expect(await messageIds(t, f.F1, { sessionId: 's1' })).toHaveLength(1);
    await release(t, id);
    expect(await del(t, 'deleteMessages', { flowId: f.F2 })).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 1 });
  });

  it('a CHAT hold blocks deleteMessages only when it matches messages of that chat', async () => {
    const f = await fixture();
    const id = await hold(t, 'CHAT', f.C1);
    expect(await del(t, 'deleteMessages', { flowId: f.F1 })).toEqual(heldBy(id));
    expect(await del(t, 'deleteMessages', { flowId: f.F1, filter: { chatId: f.C3 } })).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 1 });
    expect(await del(t, 'deleteMessages', { flowId: f.F2 })).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 1 });
  });

  it("deleteStream of a held chat's stream answers LEGAL_HOLD and keeps its events", async () => {
    const f = await fixture();
    const { streamId } = await startStream(t, f.T3, 'two words');
    await waitForStatus(t, streamId, 'COMPLETED');
    const id = await hold(t, 'FLOW', f.F1);
    const before = await everyRowCount(t);
    expect(await del(t, 'deleteStream', { id: streamId })).toEqual(heldBy(id));
    expect(await everyRowCount(t)).toEqual(before);
    await release(t, id);
    expect(await del(t, 'deleteStream', { id: streamId })).toMatchObject({ __typename: 'DeleteStreamSuccess', previousStatus: 'COMPLETED' });
  });

  it('a hold on another flow, chat or session of the tenant blocks nothing here', async () => {
    const f = await fixture();
    await hold(t, 'FLOW', f.F2);
    await hold(t, 'CHAT', f.C2);
    await hold(t, 'SESSION', 's9');
    expect(await del(t, 'deleteThread', { id: f.T3, permanent: true })).toMatchObject({ __typename: 'DeleteThreadSuccess', deletedMessageCount: 1 });
    expect(await readThread(t, f.T3)).toBeNull();
  });
});

async function messageIdsOfThread(threadId: string): Promise<string[]> {
  const rows = await t.app.deps.store.db.selectFrom('messages').select('id').where('thread_id', '=', threadId).execute();
  return rows.map((r) => r.id);
}
