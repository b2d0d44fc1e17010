import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChat, createFlow, createThread, insertMessages, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { CHAT_EVENTS_SUB, subscribe } from '../graphql/sse.ts';
import { auditEntries, longPrompt, readChat, readStream, startStream, waitForStatus, waitForTokens, waitUntil } from '../graphql/documents.ts';
import { type DeleteName, del, everyRowCount, heldBy, hold } from './holds.ts';

// dryRun: true on every delete answers what the real call would answer now (the same
// union member, counts and conflicts) and changes nothing: no row, no audit entry, no
// receipt, no outbox entry, no subscription ended, no stream cancelled, no metric counted.

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp({ config: { erasureTargetHosts: ['127.0.0.1'] } });
});
afterEach(() => t.close());

const ADD_TARGET = `mutation($input: AddErasureTargetInput!) { addErasureTarget(input: $input) { __typename } }`;

/** A flow with one chat, one thread, three messages (one with a session), and a webhook copy of them. */
async function fixture() {
  const flowId = await createFlow(t, 'F');
  const chatId = await createChat(t, flowId, 'C');
  const threadId = await createThread(t, chatId, 'T');
  for (const sessionId of ['s1', 's2', undefined]) await postMessage(t, threadId, { sessionId });
  const target = { flowId, kind: 'WEBHOOK', name: 'search index', url: 'http://127.0.0.1:9/hook', secret: 'whsec_0123456789abcdef' };
  expect((await t.gql(ADD_TARGET, { input: target })).body.data.addErasureTarget.__typename).toBe('AddErasureTargetSuccess');
  return { flowId, chatId, threadId };
}

/**
 * The answer without what only a real call has (its record) or a dry run says of itself;
 * times (a soft delete's restoreUntil in its message) are those of each call.
 */
function comparable(answer: Record<string, unknown>) {
  const { auditEntry: _a, receipt: _r, dryRun: _d, erasureJob: _j, ...rest } = answer;
  return JSON.parse(JSON.stringify(rest).replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, '<time>'));
}

/** Runs the dry run, checks that nothing changed, runs the real delete; both answers. */
async function dryThenReal(name: DeleteName, vars: Record<string, unknown>) {
  const before = await everyRowCount(t);
  const audit = await auditEntries(t);
  const dry = await del(t, name, { ...vars, dryRun: true });
  expect(await everyRowCount(t)).toEqual(before);
  expect(await auditEntries(t)).toEqual(audit);
  const real = await del(t, name, vars);
  return { dry, real, before };
}

async function metric(name: string): Promise<string> {
  const text = await (await t.app.gateway.fetch('http://gateway.test/metrics')).text();
  return text.split('\n').filter((line) => line.startsWith(name)).join('\n');
}

describe('dryRun: true', () => {
  it.each<[string, DeleteName, (f: Awaited<ReturnType<typeof fixture>>) => Record<string, unknown>]>([
    ['deleteChat', 'deleteChat', (f) => ({ id: f.chatId })],
    ['deleteThread(permanent)', 'deleteThread', (f) => ({ id: f.threadId, permanent: true })],
    ['deleteThread (soft)', 'deleteThread', (f) => ({ id: f.threadId })],
    ['deleteMessages(sessionId, hardDelete)', 'deleteMessages', (f) => ({ flowId: f.flowId, filter: { sessionId: 's1' }, hardDelete: true })],
    ['deleteMessages of a whole flow', 'deleteMessages', (f) => ({ flowId: f.flowId })],
  ])('%s answers as the real call does, with no audit entry, receipt or outbox entry', async (_label, name, vars) => {
    const f = await fixture();
    const { dry, real, before } = await dryThenReal(name, vars(f));
    expect(dry.__typename).toMatch(/Success$/);
    expect(comparable(dry)).toEqual(comparable(real));
    expect(dry).toMatchObject({ dryRun: true, auditEntry: null, receipt: null });
    expect(real).toMatchObject({ dryRun: false, auditEntry: { id: expect.any(String) } });
    // The real call did change something, so the dry run's "nothing changed" means something.
    expect(await everyRowCount(t)).not.toEqual(before);
  });

  it('deleteStream answers as the real call does and keeps the stream and its events', async () => {
    const f = await fixture();
    const { streamId } = await startStream(t, f.threadId, 'three little words');
    await waitForStatus(t, streamId, 'COMPLETED');
    const { dry, real } = await dryThenReal('deleteStream', { id: streamId });
    expect(comparable(dry)).toEqual(comparable(real));
    expect(dry).toMatchObject({ __typename: 'DeleteStreamSuccess', dryRun: true, auditEntry: null, receipt: null, deletedEventCount: expect.any(Number) });
    expect(dry.deletedEventCount).toBeGreaterThan(0);
  });

  it('writes no outbox entry where the real delete writes one per erasure target', async () => {
    const f = await fixture();
    const { before } = await dryThenReal('deleteChat', { id: f.chatId });
    expect((await everyRowCount(t)).erasure_deliveries).toBe(before.erasure_deliveries! + 1);
  });

  it.each<[DeleteName, (f: Awaited<ReturnType<typeof fixture>>) => Record<string, unknown>]>([
    ['deleteChat', (f) => ({ id: f.chatId })],
    ['deleteThread', (f) => ({ id: f.threadId, permanent: true })],
    ['deleteMessages', (f) => ({ flowId: f.flowId })],
  ])('%s of held data answers the same LEGAL_HOLD conflict, and only the real refusal is counted', async (name, vars) => {
    const f = await fixture();
    const id = await hold(t, 'SESSION', 's2');
    const { dry, real } = await dryThenReal(name, vars(f));
    expect(dry).toEqual(heldBy(id));
    expect(real).toEqual(dry);
    expect(await metric('chat_gateway_legal_hold_refusals_total{')).toMatch(/ 1$/);
  });

  it('a dry run counts no refusal in the metrics', async () => {
    const f = await fixture();
    await hold(t, 'CHAT', f.chatId);
    expect((await del(t, 'deleteChat', { id: f.chatId, dryRun: true })).reason).toBe('LEGAL_HOLD');
    expect(await metric('chat_gateway_legal_hold_refusals_total{')).toBe('');
  });

  it('answers ACTIVE_CONNECTIONS as the real call does; with force it says how many it would close and closes none', async () => {
    const f = await fixture();
    const subs = [await subscribe(t, CHAT_EVENTS_SUB, { chatId: f.chatId }), await subscribe(t, CHAT_EVENTS_SUB, { chatId: f.chatId })];
    await waitUntil(() => readChat(t, f.chatId), (c) => c.activeConnections === 2, 'two live connections');
    const conflict = await dryThenReal('deleteChat', { id: f.chatId });
    expect(conflict.dry).toEqual({ ...conflict.real, message: expect.any(String) });
    expect(conflict.dry).toMatchObject({ __typename: 'ConflictError', reason: 'ACTIVE_CONNECTIONS', activeConnections: 2 });

    const before = await everyRowCount(t);
    const forced = await del(t, 'deleteChat', { id: f.chatId, force: true, dryRun: true });
    expect(forced).toMatchObject({ __typename: 'DeleteChatSuccess', closedConnections: 2, deletedMessageCount: 3, dryRun: true });
    expect(await everyRowCount(t)).toEqual(before);
    expect(subs.map((s) => s.isEnded())).toEqual([false, false]);
    expect(subs.flatMap((s) => s.payloads)).toEqual([]);
    expect(await t.app.live.activeConnections(f.chatId)).toBe(2);
    for (const s of subs) s.close();
  });

  it('does not cancel a running stream it would cancel', async () => {
    t = await restartWithSlowTokens();
    const f = await fixture();
    const { streamId } = await startStream(t, f.threadId, longPrompt(400));
    await waitForTokens(t, streamId);
    const before = (await readStream(t, streamId)).events.length;
    const dry = await del(t, 'deleteThread', { id: f.threadId, permanent: true, dryRun: true });
    expect(dry).toMatchObject({ __typename: 'DeleteThreadSuccess', cancelledStreamCount: 1, dryRun: true });
    // Still writing: the generator was not stopped, and no CANCELLED event was stored.
    const later = await waitUntil(() => readStream(t, streamId), (s) => s.events.length > before + 1, 'more tokens');
    expect(later.status).toBe('RUNNING');
    expect(later.events.some((e: any) => e.type === 'CANCELLED')).toBe(false);
    expect(await del(t, 'deleteThread', { id: f.threadId, permanent: true })).toMatchObject({ cancelledStreamCount: 1, dryRun: false });
  });

  it('counts a chat too large to erase inline exactly, and queues nothing', async () => {
    const f = await fixture();
    await insertMessages(t, f.threadId, 5_200);
    const before = await everyRowCount(t);
    const dry = await del(t, 'deleteChat', { id: f.chatId, dryRun: true });
    expect(dry).toMatchObject({ __typename: 'DeleteChatSuccess', deletedMessageCount: 5_203, erasureJob: null, auditEntry: null, dryRun: true });
    expect(await everyRowCount(t)).toEqual(before);
    expect(await readChat(t, f.chatId)).toMatchObject({ id: f.chatId });
    const real = await del(t, 'deleteChat', { id: f.chatId });
    expect(comparable(real)).toEqual(comparable(dry));
  });

  it('counts a message selection too large to erase inline exactly, and queues nothing', async () => {
    const f = await fixture();
    await insertMessages(t, f.threadId, 5_200);
    const before = await everyRowCount(t);
    const dry = await del(t, 'deleteMessages', { flowId: f.flowId, dryRun: true });
    expect(dry).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 5_203, dryRun: true, auditEntry: null });
    expect(await everyRowCount(t)).toEqual(before);
    expect(comparable(await del(t, 'deleteMessages', { flowId: f.flowId }))).toEqual(comparable(dry));
  });

  it('answers NotFoundError and ValidationError as the real call does', async () => {
    const missing = '00000000-0000-4000-8000-000000000001';
    for (const [name, vars] of [
      ['deleteChat', { id: missing }],
      ['deleteThread', { id: 'not-an-id', permanent: true }],
      ['deleteStream', { id: missing }],
      ['deleteMessages', { flowId: missing }],
    ] as const) {
      expect(await del(t, name, { ...vars, dryRun: true })).toEqual(await del(t, name, vars));
    }
  });
});

/** The same app with a token every 20 ms, so a stream is still running when the dry run comes. */
async function restartWithSlowTokens(): Promise<TestApp> {
  await t.close();
  return startTestApp({ config: { erasureTargetHosts: ['127.0.0.1'] }, tokenIntervalMs: 20 });
}
