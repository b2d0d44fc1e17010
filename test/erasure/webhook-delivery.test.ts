import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { purgeExpiredThreads } from '../../src/domain/purge.ts';
import { createChat, createFlow, createThread, insertMessages, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { startReceiver } from './webhook-receiver.ts';

// The outbox through HTTP, with a real receiver on loopback: which deletes reach a
// webhook target, what the signed event says, the receipt's life, retries and the deadline.

const SECRET = 'whsec_delivery_test_secret';
const RECEIPT = `receipt { id action targetType targetId status requestedAt completedAt counts auditEntryId copies { targetId name status attempts lastError completedAt } }`;

let t: TestApp;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let statuses: number[];

beforeEach(async () => {
  statuses = [];
  receiver = await startReceiver(SECRET, (n) => statuses[n - 1] ?? 204);
  t = await startTestApp({ config: { erasureTargetHosts: ['127.0.0.1'] } });
});
afterEach(async () => {
  await t.close();
  await receiver.stop();
});

async function addWebhook(flowId: string): Promise<string> {
  const { body } = await t.gql(
    `mutation($input: AddErasureTargetInput!) { addErasureTarget(input: $input) { ... on AddErasureTargetSuccess { target { id } } } }`,
    { input: { flowId, kind: 'WEBHOOK', name: 'search index', url: receiver.url, secret: SECRET } },
  );
  return body.data.addErasureTarget.target.id;
}

/** Lets the outbox attempt what is due now, and waits for it. */
async function deliverDue(): Promise<void> {
  t.app.deps.outbox.kick();
  await t.app.deps.outbox.idle();
}

async function receipt(id: string) {
  return (await t.gql(`query($id: ID!) { erasureReceipt(id: $id) ${RECEIPT.slice('receipt '.length)} }`, { id })).body.data.erasureReceipt;
}

async function chatWithSessions() {
  const flowId = await createFlow(t);
  const chatId = await createChat(t, flowId);
  const t1 = await createThread(t, chatId, 'one');
  const t2 = await createThread(t, chatId, 'two');
  const m1 = await postMessage(t, t1, { sessionId: 'sess-1' });
  const m2 = await postMessage(t, t1, { sessionId: 'sess-2' });
  const m3 = await postMessage(t, t2, {});
  return { flowId, chatId, threads: [t1, t2], messages: [m1, m2, m3] };
}

describe('a webhook target', () => {
  it('gets one signed event naming what deleteChat erased, and the receipt completes', async () => {
    const { flowId, chatId, threads, messages } = await chatWithSessions();
    const targetId = await addWebhook(flowId);
    const deleted = (
      await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { ... on DeleteChatSuccess { auditEntry { id } ${RECEIPT} } } }`, { id: chatId })
    ).body.data.deleteChat;
    expect(deleted.receipt).toMatchObject({ action: 'chat.delete', targetType: 'CHAT', targetId: chatId, auditEntryId: deleted.auditEntry.id });
    expect(deleted.receipt.counts).toEqual({ chats: 1, threads: 2, messages: 3, streams: 0, streamEvents: 0 });
    await deliverDue();
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got!.signatureValid).toBe(true);
    expect(got!.headers['content-type']).toMatch(/^application\/json/);
    const body = got!.body as Record<string, string[] | string>;
    expect(body).toMatchObject({ type: 'erasure', receiptId: deleted.receipt.id, flowId, chatIds: [chatId] });
    expect([...(body.threadIds as string[])].sort()).toEqual([...threads].sort());
    expect([...(body.sessionIds as string[])].sort()).toEqual(['sess-1', 'sess-2']);
    expect([...(body.messageIds as string[])].sort()).toEqual([...messages].sort());
    expect(body).not.toHaveProperty('rows');
    const done = await receipt(deleted.receipt.id);
    expect(done.status).toBe('COMPLETE');
    expect(done.completedAt).not.toBeNull();
    expect(done.copies).toEqual([{ targetId, name: 'search index', status: 'COMPLETE', attempts: 1, lastError: null, completedAt: done.completedAt }]);
  });

  it('deleteChat names the messages of a soft-deleted thread and an empty thread too, and another chat of the flow is not named', async () => {
    const { flowId, chatId, threads, messages } = await chatWithSessions();
    const empty = await createThread(t, chatId, 'empty');
    const other = await createChat(t, flowId, 'neighbour');
    const otherMessage = await postMessage(t, await createThread(t, other), { sessionId: 'sess-other' });
    await addWebhook(flowId);
    const soft = await t.gql(`mutation($id: ID!) { deleteThread(id: $id) { __typename } }`, { id: threads[1] });
    expect(soft.body.data.deleteThread.__typename).toBe('DeleteThreadSuccess');
    await deliverDue();
    expect(receiver.received).toHaveLength(0);

    const deleted = (await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { ... on DeleteChatSuccess { ${RECEIPT} } } }`, { id: chatId })).body.data.deleteChat;
    expect(deleted.receipt.counts).toMatchObject({ chats: 1, threads: 3, messages: 3 });
    await deliverDue();
    expect(receiver.received).toHaveLength(1);
    const body = receiver.received[0]!.body as Record<string, string[]>;
    expect([...body.threadIds!].sort()).toEqual([...threads, empty].sort());
    expect([...body.messageIds!].sort()).toEqual([...messages].sort());
    expect(body.messageIds).not.toContain(otherMessage);
    expect(body.sessionIds).not.toContain('sess-other');
    expect((await receipt(deleted.receipt.id)).status).toBe('COMPLETE');
  });

  it('reaches deleteThread(permanent) and deleteMessages(hardDelete), not a soft delete nor deleteMessages without hardDelete', async () => {
    const { flowId, threads, messages } = await chatWithSessions();
    await addWebhook(flowId);
    const soft = (await t.gql(`mutation($id: ID!) { deleteThread(id: $id) { ... on DeleteThreadSuccess { receipt { id } } } }`, { id: threads[1] })).body.data
      .deleteThread;
    expect(soft.receipt).toBeNull();
    const plain = (
      await t.gql(`mutation($f: ID!) { deleteMessages(flowId: $f, filter: { sessionId: "sess-2" }) { ... on DeleteMessagesSuccess { affected ${RECEIPT} } } }`, {
        f: flowId,
      })
    ).body.data.deleteMessages;
    expect(plain.affected).toBe(1);
    expect(plain.receipt).toMatchObject({ action: 'messages.delete', status: 'COMPLETE', copies: [], counts: { messages: 1 } });
    await deliverDue();
    expect(receiver.received).toHaveLength(0);

    const hard = (
      await t.gql(
        `mutation($f: ID!) { deleteMessages(flowId: $f, filter: { sessionId: "sess-1" }, hardDelete: true) { ... on DeleteMessagesSuccess { affected ${RECEIPT} } } }`,
        { f: flowId },
      )
    ).body.data.deleteMessages;
    expect(hard.affected).toBe(1);
    expect(hard.receipt.copies).toHaveLength(1);
    await deliverDue();
    expect(receiver.received.map((r) => r.body.messageIds)).toEqual([[messages[0]]]);
    expect(receiver.received[0]!.body.sessionIds).toEqual(['sess-1']);

    const permanent = (
      await t.gql(`mutation($id: ID!) { deleteThread(id: $id, permanent: true) { ... on DeleteThreadSuccess { ${RECEIPT} } } }`, { id: threads[1] })
    ).body.data.deleteThread;
    expect(permanent.receipt).toMatchObject({ action: 'thread.delete', targetType: 'THREAD', targetId: threads[1] });
    await deliverDue();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.body).toMatchObject({ threadIds: [threads[1]], messageIds: [messages[2]], sessionIds: [] });
  });

  it('is retried with backoff while it fails, and the receipt completes when it recovers', async () => {
    statuses = [500, 503];
    const { flowId, chatId } = await chatWithSessions();
    await addWebhook(flowId);
    const id = (await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { ... on DeleteChatSuccess { receipt { id } } } }`, { id: chatId })).body.data.deleteChat
      .receipt.id;
    await deliverDue();
    let now = await receipt(id);
    expect(now.status).toBe('PENDING');
    expect(now.copies[0]).toMatchObject({ status: 'PENDING', attempts: 1, lastError: 'Webhook target: HTTP 500' });
    await deliverDue();
    expect(receiver.received).toHaveLength(1); // not due before 1 s
    t.clock.advance(1000);
    await deliverDue();
    now = await receipt(id);
    expect(now.copies[0]).toMatchObject({ status: 'PENDING', attempts: 2, lastError: 'Webhook target: HTTP 503' });
    t.clock.advance(1000);
    await deliverDue();
    expect(receiver.received).toHaveLength(2); // the second pause is 2 s
    t.clock.advance(1000);
    await deliverDue();
    now = await receipt(id);
    expect(now.status).toBe('COMPLETE');
    expect(now.copies[0]).toMatchObject({ status: 'COMPLETE', attempts: 3, lastError: null });
    // The same event each time: receivers can tell a repeat by its id.
    expect(new Set(receiver.received.map((r) => r.raw)).size).toBe(1);
  });

  it('is FAILED once ERASURE_RETRY_HOURS have passed, and so is the receipt; metrics count it', async () => {
    statuses = Array(100).fill(500);
    const { flowId, chatId } = await chatWithSessions();
    await addWebhook(flowId);
    const id = (await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { ... on DeleteChatSuccess { receipt { id } } } }`, { id: chatId })).body.data.deleteChat
      .receipt.id;
    await deliverDue();
    t.clock.advance(72 * 3_600_000);
    await deliverDue();
    const failed = await receipt(id);
    expect(failed.status).toBe('FAILED');
    expect(failed.completedAt).toBeNull();
    expect(failed.copies[0]).toMatchObject({ status: 'FAILED', attempts: 2, lastError: 'Webhook target: HTTP 500' });
    t.clock.advance(3_600_000);
    await deliverDue();
    expect(receiver.received).toHaveLength(2);
    const metrics = await (await t.app.gateway.fetch('http://gateway.test/metrics')).text();
    expect(metrics).toMatch(/chat_gateway_erasure_deliveries_total\{outcome="failed"\} 1/);
    expect(metrics).toMatch(/chat_gateway_erasure_deliveries_total\{outcome="retry"\} 1/);
    expect(metrics).toMatch(/chat_gateway_erasure_outbox_pending 0/);
  });

  it('counts pending copies and their age in the metrics', async () => {
    await receiver.stop();
    const { flowId, chatId } = await chatWithSessions();
    await addWebhook(flowId);
    await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { __typename } }`, { id: chatId });
    await deliverDue();
    const metrics = await (await t.app.gateway.fetch('http://gateway.test/metrics')).text();
    expect(metrics).toMatch(/chat_gateway_erasure_outbox_pending 1/);
    expect(metrics).toMatch(/chat_gateway_erasure_deliveries_total\{outcome="retry"\} 1/);
    expect(metrics).toMatch(/chat_gateway_erasure_outbox_oldest_seconds \d/);
    await receiver.restart();
  });

  it('no longer gets the deletes made after it was removed; those before still go out', async () => {
    await receiver.stop();
    const { flowId, chatId, threads } = await chatWithSessions();
    const targetId = await addWebhook(flowId);
    await t.gql(`mutation($id: ID!) { deleteThread(id: $id, permanent: true) { __typename } }`, { id: threads[0] });
    await t.gql(`mutation($id: ID!) { removeErasureTarget(id: $id) { __typename } }`, { id: targetId });
    await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { __typename } }`, { id: chatId });
    await receiver.restart();
    t.clock.advance(1000);
    await deliverDue();
    expect(receiver.received.map((r) => r.body.threadIds)).toEqual([[threads[0]]]);
  });
});

describe('the purge and large erasures', () => {
  it('the purge of an expired soft delete reaches the target, with its own receipt', async () => {
    const { flowId, threads, messages } = await chatWithSessions();
    await addWebhook(flowId);
    await t.gql(`mutation($id: ID!) { deleteThread(id: $id) { __typename } }`, { id: threads[0] });
    await deliverDue();
    expect(receiver.received).toHaveLength(0);
    t.clock.advance(31 * 86_400_000);
    expect((await purgeExpiredThreads(t.app.deps)).purged).toBe(1);
    await deliverDue();
    expect(receiver.received).toHaveLength(1);
    const event = receiver.received[0]!.body as Record<string, string[]>;
    expect(event.threadIds).toEqual([threads[0]]);
    expect([...event.messageIds!].sort()).toEqual([messages[0], messages[1]].sort());
    const purged = await receipt(event.receiptId as unknown as string);
    expect(purged).toMatchObject({ action: 'thread.purge', targetType: 'THREAD', targetId: threads[0], status: 'COMPLETE', counts: { threads: 1, messages: 2 } });
  });

  it('a large chat: the event names its sessions and threads, not its 10,001 message ids; the receipt is COMPLETE with the final count once the queue has erased the rows', async () => {
    const flowId = await createFlow(t);
    const chatId = await createChat(t, flowId);
    const threadId = await createThread(t, chatId);
    // More than an event lists the ids of (10,000), and more than a delete erases at once (5,000).
    await insertMessages(t, threadId, 10_001, { sessionId: 'big-session' });
    await addWebhook(flowId);
    const deleted = (
      await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { ... on DeleteChatSuccess { erasureJob { id } auditEntry { id } deletedMessageCount ${RECEIPT} } } }`, {
        id: chatId,
      })
    ).body.data.deleteChat;
    expect(deleted.erasureJob).not.toBeNull();
    expect(deleted.receipt.auditEntryId).toBe(deleted.auditEntry.id);
    expect(deleted.receipt.counts.messages).toBe(10_001);
    await t.app.deps.erasureJobs.whenDone(deleted.erasureJob.id);
    await deliverDue();
    const done = await receipt(deleted.receipt.id);
    expect(done).toMatchObject({ status: 'COMPLETE', counts: { chats: 1, threads: 1, messages: 10_001 } });
    const event = receiver.received[0]!.body as Record<string, string[]>;
    expect(event.sessionIds).toEqual(['big-session']);
    expect(event.messageIds).toBeNull();
    expect(event.threadIds).toEqual([threadId]);
  });
});

describe('receipts', () => {
  it('complete at once when the flow has no target; another tenant cannot read them', async () => {
    const { chatId } = await chatWithSessions();
    const deleted = (await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { ... on DeleteChatSuccess { ${RECEIPT} } } }`, { id: chatId })).body.data.deleteChat;
    expect(deleted.receipt).toMatchObject({ status: 'COMPLETE', copies: [], counts: { chats: 1, threads: 2, messages: 3 } });
    expect(deleted.receipt.completedAt).toBe(deleted.receipt.requestedAt);
    const other = await t.gql(`query($id: ID!) { erasureReceipt(id: $id) { id } }`, { id: deleted.receipt.id }, { key: t.keys.b });
    expect(other.body.data.erasureReceipt).toBeNull();
    expect((await t.gql(`{ erasureReceipt(id: "not-an-id") { id } }`)).body.data.erasureReceipt).toBeNull();
  });

  it('are logged with the request and the delete, and each delivery with its receipt', async () => {
    const lines: Record<string, unknown>[] = [];
    const logged = await startTestApp({
      config: { erasureTargetHosts: ['127.0.0.1'] },
      logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
    });
    try {
      const flowId = await createFlow(logged);
      const chatId = await createChat(logged, flowId);
      await logged.gql(`mutation($input: AddErasureTargetInput!) { addErasureTarget(input: $input) { __typename } }`, {
        input: { flowId, kind: 'WEBHOOK', name: 'search index', url: receiver.url, secret: SECRET },
      });
      const { body, headers } = await logged.gql(`mutation($id: ID!) { deleteChat(id: $id) { ... on DeleteChatSuccess { receipt { id } } } }`, { id: chatId });
      const receiptId = body.data.deleteChat.receipt.id;
      logged.app.deps.outbox.kick();
      await logged.app.deps.outbox.idle();
      expect(lines.find((l) => l.msg === 'erasure receipt')).toMatchObject({
        receiptId,
        action: 'chat.delete',
        targetType: 'CHAT',
        targetId: chatId,
        requestId: headers.get('x-request-id'),
        copies: 1,
      });
      expect(lines.find((l) => l.msg === 'copy erased at erasure target')).toMatchObject({ receiptId, attempts: 1, target: receiver.url });
      expect(JSON.stringify(lines)).not.toContain(SECRET);
    } finally {
      await logged.close();
    }
  });

  it('are answered by deleteStream too', async () => {
    const flowId = await createFlow(t);
    const threadId = await createThread(t, await createChat(t, flowId));
    const started = await t.gql(`mutation($th: ID!) { startStream(input: { threadId: $th, prompt: "hi" }) { ... on StartStreamSuccess { stream { id } } } }`, {
      th: threadId,
    });
    const streamId = started.body.data.startStream.stream.id;
    const deleted = (await t.gql(`mutation($id: ID!) { deleteStream(id: $id) { ... on DeleteStreamSuccess { ${RECEIPT} } } }`, { id: streamId })).body.data
      .deleteStream;
    expect(deleted.receipt).toMatchObject({ action: 'stream.delete', targetType: 'STREAM', targetId: streamId, status: 'COMPLETE', copies: [] });
    expect(deleted.receipt.counts.streams).toBe(1);
  });
});
