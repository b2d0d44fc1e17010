import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErasureDeliveryRow } from '../../src/data/tables.ts';
import type { ErasureEvent } from '../../src/domain/copy-erasure.ts';
import { leaseFrom } from '../../src/domain/erasure-outbox.ts';
import { ENGINE } from '../helpers/database.ts';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { startReceiver } from '../erasure/webhook-receiver.ts';

// PostgreSQL deletes a small, quiet chat in one statement (src/data/postgres/delete-chat-at-once.ts),
// also when its flow has erasure targets: the same statement writes one outbox row per
// active target, with the event the general path would have written.

const SECRET_A = 'whsec_at_once_delete_secret_a';
const SECRET_B = 'whsec_at_once_delete_secret_b';
// Without the receipt: resolving it is reads of its own, after the delete.
const DELETE_CHAT = `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { deletedThreadCount deletedMessageCount } } }`;
const EVENT_KEYS = ['id', 'receiptId', 'erasedAt', 'flowId', 'chatIds', 'threadIds', 'sessionIds', 'messageIds', 'rows'];

let t: TestApp;
let receivers: Awaited<ReturnType<typeof startReceiver>>[];

beforeEach(async () => {
  receivers = [await startReceiver(SECRET_A), await startReceiver(SECRET_B)];
  t = await startTestApp({ config: { erasureTargetHosts: ['127.0.0.1'] } });
});
afterEach(async () => {
  await t.close();
  for (const r of receivers) await r.stop();
});

async function addWebhook(flowId: string, name: string, url: string, secret: string): Promise<string> {
  const { body } = await t.gql(
    `mutation($input: AddErasureTargetInput!) { addErasureTarget(input: $input) { ... on AddErasureTargetSuccess { target { id } } } }`,
    { input: { flowId, kind: 'WEBHOOK', name, url, secret } },
  );
  return body.data.addErasureTarget.target.id;
}

async function removeTarget(id: string): Promise<void> {
  const { body } = await t.gql(`mutation($id: ID!) { removeErasureTarget(id: $id) { __typename } }`, { id });
  expect(body.data.removeErasureTarget.__typename).toBe('RemoveErasureTargetSuccess');
}

/** A chat of two threads (one empty), messages in two sessions and one without. */
async function chatOfTwoThreads(flowId: string) {
  const chatId = await createChat(t, flowId);
  const full = await createThread(t, chatId, 'full');
  const empty = await createThread(t, chatId, 'empty');
  const messages = [
    await postMessage(t, full, { sessionId: 'sess-1' }),
    await postMessage(t, full, { sessionId: 'sess-1' }),
    await postMessage(t, full, { sessionId: 'sess-2' }),
    await postMessage(t, full, {}),
  ];
  return { chatId, full, empty, messages };
}

/** The outbox's worker, woken by the delete once it has committed: its claim, its targets, its outcomes. */
const OUTBOX = [/^update "erasure_deliveries" set/, /^select \* from "erasure_targets" where "id" in/];

/**
 * deleteChat, its receipt, every statement the delete ran (the API key lookups and the
 * outbox's worker aside), and the outbox entries it handed the outbox: held meanwhile, so
 * the rows stay as the delete wrote them until the test delivers them.
 */
async function deleteChatCounted(chatId: string) {
  const outbox = t.app.deps.outbox;
  const handed: ErasureDeliveryRow[] = [];
  outbox.deliver = (entries) => void handed.push(...entries);
  t.queries.length = 0;
  try {
    const deleted = (await t.gql(DELETE_CHAT, { id: chatId })).body.data.deleteChat;
    const statements = t.queries.filter((q) => !/api_keys/.test(q) && !OUTBOX.some((o) => o.test(q)));
    const receipt = await t.app.deps.store.db.selectFrom('erasure_receipts').selectAll().where('target_id', '=', chatId).executeTakeFirstOrThrow();
    return { deleted: { ...deleted, receipt }, statements, handed };
  } finally {
    delete (outbox as { deliver?: unknown }).deliver;
  }
}

async function receiptStatus(id: string) {
  return (await t.gql(`query($id: ID!) { erasureReceipt(id: $id) { status copies { targetId status attempts } } }`, { id })).body.data.erasureReceipt;
}

/** The delete ran as one statement: one that deletes, and no transaction. */
function expectOneStatement(statements: string[]): void {
  expect(statements).toHaveLength(1);
  expect(statements[0]).toMatch(/^with "c" as .*delete from "chats"/);
  expect(statements.some((q) => /^begin/i.test(q))).toBe(false);
}

async function deliveries(receiptId: string) {
  return t.app.deps.store.db.selectFrom('erasure_deliveries').selectAll().where('receipt_id', '=', receiptId).orderBy('target_id').execute();
}

/** The event with its arrays in one order, to compare with what is expected. */
function sorted(event: ErasureEvent) {
  const byRow = (r: ErasureEvent['rows'][number]) => `${r.chatId}|${r.threadId ?? ''}|${r.sessionId ?? ''}`;
  return {
    ...event,
    chatIds: [...event.chatIds].sort(),
    threadIds: [...event.threadIds].sort(),
    sessionIds: [...event.sessionIds].sort(),
    messageIds: event.messageIds && [...event.messageIds].sort(),
    rows: [...event.rows].sort((a, b) => byRow(a).localeCompare(byRow(b))),
  };
}

describe.skipIf(ENGINE !== 'postgres')('deleteChat in one statement on PostgreSQL, with erasure targets', () => {
  it('writes one outbox row per active target with the general path\u2019s event, and the copies are erased', async () => {
    const flowId = await createFlow(t);
    const targetA = await addWebhook(flowId, 'search index', receivers[0]!.url, SECRET_A);
    const targetB = await addWebhook(flowId, 'analytics', receivers[1]!.url, SECRET_B);
    const removed = await addWebhook(flowId, 'gone', receivers[0]!.url, SECRET_A);
    await removeTarget(removed);
    const { chatId, full, empty, messages } = await chatOfTwoThreads(flowId);

    const { deleted, statements, handed } = await deleteChatCounted(chatId);
    expect(deleted).toMatchObject({ __typename: 'DeleteChatSuccess', deletedThreadCount: 2, deletedMessageCount: 4 });
    expectOneStatement(statements);

    const rows = await deliveries(deleted.receipt.id);
    // Written under this process's lease, and handed to its outbox as written.
    expect([...handed].sort((a, b) => a.target_id.localeCompare(b.target_id))).toEqual(rows);
    expect(rows.map((r) => r.target_id).sort()).toEqual([targetA, targetB].sort());
    const receipt = deleted.receipt;
    const at = receipt.requested_at;
    const deadline = new Date(Date.parse(at) + t.app.deps.settings.erasureRetryMs).toISOString();
    for (const row of rows) {
      expect(row).toMatchObject({
        tenant_id: receipt.tenant_id,
        receipt_id: deleted.receipt.id,
        status: 'PENDING',
        attempts: 0,
        last_error: null,
        created_at: at,
        next_attempt_at: at,
        deadline_at: deadline,
        leased_until: leaseFrom(at),
        completed_at: null,
      });
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const event = JSON.parse(row.event) as ErasureEvent;
      expect(Object.keys(event)).toEqual(EVENT_KEYS);
      expect(sorted(event)).toEqual(
        sorted({
          id: row.id,
          receiptId: deleted.receipt.id,
          erasedAt: at,
          flowId,
          chatIds: [chatId],
          threadIds: [full, empty],
          sessionIds: ['sess-1', 'sess-2'],
          messageIds: messages,
          rows: [
            { chatId, threadId: full, sessionId: 'sess-1' },
            { chatId, threadId: full, sessionId: 'sess-2' },
            { chatId, threadId: full, sessionId: null },
            { chatId, threadId: empty, sessionId: null },
          ],
        }),
      );
      // The rows of messages come first, then the empty threads', as the general path lists them.
      expect(event.rows.at(-1)).toEqual({ chatId, threadId: empty, sessionId: null });
      expect(Object.keys(event.rows[0]!)).toEqual(['chatId', 'threadId', 'sessionId']);
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(2);
    expect(JSON.parse(receipt.counts)).toEqual({ chats: 1, threads: 2, messages: 4, streams: 0, streamEvents: 0 });

    t.app.deps.outbox.deliver(handed);
    await t.app.deps.outbox.idle();
    const stored = new Map(rows.map((r) => [r.target_id, JSON.parse(r.event) as ErasureEvent]));
    for (const [receiver, target] of [
      [receivers[0]!, targetA],
      [receivers[1]!, targetB],
    ] as const) {
      expect(receiver.received).toHaveLength(1);
      const [got] = receiver.received;
      expect(got!.signatureValid).toBe(true);
      const { rows: _rows, ...named } = stored.get(target)!;
      expect(got!.body).toEqual({ type: 'erasure', ...named });
    }
    const done = await receiptStatus(deleted.receipt.id);
    expect(done.status).toBe('COMPLETE');
    expect([...done.copies].sort((a: { targetId: string }, b: { targetId: string }) => a.targetId.localeCompare(b.targetId))).toEqual(
      [targetA, targetB].sort().map((targetId) => ({ targetId, status: 'COMPLETE', attempts: 1 })),
    );
  });

  it('writes the same event as the general path, key order included', async () => {
    const flowId = await createFlow(t);
    await addWebhook(flowId, 'search index', receivers[0]!.url, SECRET_A);
    const atOnce = await chatOfTwoThreads(flowId);
    const general = await chatOfTwoThreads(flowId);

    const one = await deleteChatCounted(atOnce.chatId);
    expectOneStatement(one.statements);
    // The same delete through the general path (the engine's one statement withheld).
    const store = t.app.deps.store;
    const deleteChatAtOnce = store.deleteChatAtOnce;
    store.deleteChatAtOnce = undefined;
    let many: Awaited<ReturnType<typeof deleteChatCounted>>;
    try {
      many = await deleteChatCounted(general.chatId);
    } finally {
      store.deleteChatAtOnce = deleteChatAtOnce;
    }
    expect(many.statements.some((q) => /^begin/i.test(q))).toBe(true);

    const [fast] = await deliveries(one.deleted.receipt.id);
    const [slow] = await deliveries(many.deleted.receipt.id);
    const fastEvent = JSON.parse(fast!.event) as ErasureEvent;
    const slowEvent = JSON.parse(slow!.event) as ErasureEvent;
    // Each chat's own ids in place of the other's, then nothing may differ.
    const rename = new Map<string, string>([
      [general.chatId, atOnce.chatId],
      [general.full, atOnce.full],
      [general.empty, atOnce.empty],
      [slow!.id, fast!.id],
      [many.deleted.receipt.id, one.deleted.receipt.id],
      [slowEvent.erasedAt, fastEvent.erasedAt],
      ...general.messages.map((m, i): [string, string] => [m, atOnce.messages[i]!]),
    ]);
    const renamed = JSON.parse(JSON.stringify(slowEvent), (_key, value: unknown) => (typeof value === 'string' ? (rename.get(value) ?? value) : value)) as ErasureEvent;
    expect(JSON.stringify(sorted(fastEvent))).toBe(JSON.stringify(sorted(renamed)));
    expect(fast!.deadline_at).toBe(new Date(Date.parse(fast!.created_at) + t.app.deps.settings.erasureRetryMs).toISOString());
    expect(fast!.leased_until).toBe(leaseFrom(fast!.created_at));
    expect(slow!.leased_until).toBe(leaseFrom(slow!.created_at));
    expect({ ...fast, id: '', receipt_id: '', event: '', created_at: '', next_attempt_at: '', deadline_at: '', leased_until: '' }).toEqual({
      ...slow,
      leased_until: '',
      id: '',
      receipt_id: '',
      event: '',
      created_at: '',
      next_attempt_at: '',
      deadline_at: '',
    });
  });

  it('a chat without threads names the chat alone', async () => {
    const flowId = await createFlow(t);
    await addWebhook(flowId, 'search index', receivers[0]!.url, SECRET_A);
    const chatId = await createChat(t, flowId);
    const { deleted, statements } = await deleteChatCounted(chatId);
    expectOneStatement(statements);
    const [row] = await deliveries(deleted.receipt.id);
    expect(JSON.parse(row!.event)).toMatchObject({
      chatIds: [chatId],
      threadIds: [],
      sessionIds: [],
      messageIds: [],
      rows: [{ chatId, threadId: null, sessionId: null }],
    });
  });

  it('a removed target gets no row; a flow without targets still takes one statement and writes no delivery', async () => {
    const flowId = await createFlow(t);
    const removed = await addWebhook(flowId, 'gone', receivers[0]!.url, SECRET_A);
    await removeTarget(removed);
    const first = await chatOfTwoThreads(flowId);
    const bare = await chatOfTwoThreads(await createFlow(t, 'No targets'));
    for (const chatId of [first.chatId, bare.chatId]) {
      const { deleted, statements, handed } = await deleteChatCounted(chatId);
      expect(handed).toEqual([]);
      expect(deleted).toMatchObject({ __typename: 'DeleteChatSuccess', deletedThreadCount: 2, deletedMessageCount: 4 });
      expectOneStatement(statements);
      expect(await deliveries(deleted.receipt.id)).toEqual([]);
      expect(await receiptStatus(deleted.receipt.id)).toEqual({ status: 'COMPLETE', copies: [] });
    }
    t.app.deps.outbox.kick();
    await t.app.deps.outbox.idle();
    expect(receivers[0]!.received).toEqual([]);
  });
});
