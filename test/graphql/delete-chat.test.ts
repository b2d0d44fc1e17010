import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendMessage, newMessage } from '../../src/domain/messages.ts';
import { ENGINE } from '../helpers/database.ts';
import { chatWithMessages, createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import {
  ISO_MS,
  auditEntries,
  deleteChat,
  deleteThread,
  deletedThreadIds,
  flowSnapshot,
  longPrompt,
  messageIds,
  readChat,
  readStream,
  readThread,
  restoreThread,
  rowCounts,
  startStream,
  streamEventRows,
  waitForStatus,
  waitForTokens,
  waitUntil,
} from './documents.ts';
import { CHAT_EVENTS_SUB, STREAM_EVENTS_SUB, endsWithin, subscribe } from './sse.ts';

// docs/design.md#deletechat, deleteChat(id, expectedVersion, force): permanently removes
// the chat, its threads (soft-deleted ones too), messages, streams and their events.

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

/** A chat with a live thread (2 messages), a soft-deleted one (3) and one with a finished stream (2). */
async function populatedChat() {
  const flowId = await createFlow(t, 'Flow');
  const chatId = await createChat(t, flowId, 'Doomed chat');
  const live = await createThread(t, chatId, 'live');
  await postMessage(t, live, { content: 'live question' });
  await postMessage(t, live, { role: 'ASSISTANT', content: 'live answer' });
  const soft = await createThread(t, chatId, 'soft-deleted');
  for (const content of ['soft one', 'soft two', 'soft three']) await postMessage(t, soft, { content });
  expect((await deleteThread(t, { id: soft })).__typename).toBe('DeleteThreadSuccess');
  const withStream = await createThread(t, chatId, 'streamed');
  const { streamId } = await startStream(t, withStream, 'alpha beta gamma');
  await waitForStatus(t, streamId, 'COMPLETED');
  // A second chat of the same flow that must survive.
  const otherChatId = await createChat(t, flowId, 'Bystander');
  const otherThread = await createThread(t, otherChatId, 'bystander thread');
  const otherMessage = await postMessage(t, otherThread, { content: 'still here' });
  return { flowId, chatId, threads: { live, soft, withStream }, streamId, otherChatId, otherMessage };
}

describe('deleteChat', () => {
  it('removes the chat with every thread (soft-deleted too), message, stream and event, with exact counts', async () => {
    const c = await populatedChat();
    const r = await deleteChat(t, { id: c.chatId });
    expect(r).toMatchObject({
      __typename: 'DeleteChatSuccess',
      chatId: c.chatId,
      deletedThreadCount: 3,
      deletedMessageCount: 7,
      cancelledStreamCount: 0,
      closedConnections: 0,
    });

    // Gone from every read.
    expect(await readChat(t, c.chatId)).toBeNull();
    for (const id of Object.values(c.threads)) expect(await readThread(t, id)).toBeNull();
    expect(await readStream(t, c.streamId)).toBeNull();
    expect(await messageIds(t, c.flowId)).toEqual([c.otherMessage]);
    expect(await deletedThreadIds(t)).toEqual([]);
    expect(await restoreThread(t, c.threads.soft)).toMatchObject({ __typename: 'NotFoundError', resourceType: 'THREAD' });
    const chats = await t.gql(`query($f: ID!) { chats(flowId: $f, first: 100) { edges { node { id } } } }`, { f: c.flowId });
    expect(chats.body.data.chats.edges.map((e: any) => e.node.id)).toEqual([c.otherChatId]);

    // Gone from storage, not just hidden.
    const db = t.app.deps.store.db;
    expect(await db.selectFrom('chats').select('id').where('id', '=', c.chatId).execute()).toEqual([]);
    expect(await db.selectFrom('threads').select('id').where('chat_id', '=', c.chatId).execute()).toEqual([]);
    expect(await db.selectFrom('messages').select('id').where('chat_id', '=', c.chatId).execute()).toEqual([]);
    expect(await db.selectFrom('streams').select('id').where('chat_id', '=', c.chatId).execute()).toEqual([]);
    expect(await streamEventRows(t, c.streamId)).toEqual([]);
    // The bystander chat is untouched.
    expect(await readChat(t, c.otherChatId)).toMatchObject({ id: c.otherChatId, messageCount: 1 });
  });

  it('answers the seed shape: success, message, deletedAt with milliseconds, and an audit entry without content', async () => {
    const { chatId, flowId } = await chatWithMessages(t, 2);
    await postMessage(t, (await readChat(t, chatId)).threads.edges[0].node.id, { content: 'very private words' });
    const r = await deleteChat(t, { id: chatId });
    expect(r.__typename).toBe('DeleteChatSuccess');
    expect(r.success).toBe(true);
    expect(r.message).toBe('Chat deleted successfully');
    expect(r.deletedAt).toMatch(ISO_MS);
    expect(r.deletedMessageCount).toBe(3);
    expect(r.deletedThreadCount).toBe(1);
    expect(r.auditEntry).toMatchObject({ action: 'chat.delete', targetType: 'CHAT', targetId: chatId, actor: 'key-a' });
    expect(r.auditEntry.requestId).toEqual(expect.any(String));
    expect(r.auditEntry.requestId).not.toBe('');
    expect(r.auditEntry.at).toMatch(ISO_MS);
    const details = JSON.stringify(r.auditEntry.details);
    for (const content of ['message 0', 'message 1', 'very private words']) expect(details).not.toContain(content);
    // The same entry is in the audit log, newest first.
    const [newest] = await auditEntries(t);
    expect(newest).toEqual(r.auditEntry);
    expect(await messageIds(t, flowId)).toEqual([]);
  });

  it('deletes a small chat nobody watches in one statement on PostgreSQL, with the same answer and audit entry', async () => {
    const { chatId } = await chatWithMessages(t, 3);
    await createThread(t, chatId);
    t.queries.length = 0;
    const r = await deleteChat(t, { id: chatId });
    expect(r).toMatchObject({ __typename: 'DeleteChatSuccess', deletedMessageCount: 3, deletedThreadCount: 2, cancelledStreamCount: 0 });
    expect(r.auditEntry.details).toEqual({
      force: false,
      deletedThreadCount: 2,
      deletedMessageCount: 3,
      cancelledStreamCount: 0,
      closedConnections: 0,
      erasure: 'done',
    });
    const statements = t.queries.filter((q) => !/api_keys/.test(q));
    // The general path (SQLite's, which has no data-modifying WITH) runs one statement a step.
    if (t.engine === 'postgres') expect(statements).toEqual([expect.stringMatching(/^with "c" as .*delete from "chats"/)]);
    else expect(statements.length).toBeGreaterThan(3);
    expect(await readChat(t, chatId)).toBeNull();
    expect(await rowCounts(t)).toMatchObject({ chats: 0, threads: 0, messages: 0 });
  });

  it.skipIf(ENGINE !== 'postgres')('counts a message posted while it waited for the chat (PostgreSQL: its one statement steps aside)', async () => {
    const { chatId, threadId } = await chatWithMessages(t, 2);
    const db = t.app.deps.store.db;
    const [thread] = await db.selectFrom('threads').selectAll().where('id', '=', threadId).execute();
    const now = t.clock.now().toISOString();
    let deleting: Promise<Awaited<ReturnType<typeof deleteChat>>> | undefined;
    await db.transaction().execute(async (trx) => {
      const message = newMessage(thread!, { role: 'USER', content: 'late', session_id: null, memory_type: null, chat_type: 'INTERNAL', feedback: null, created_at: now });
      await appendMessage(trx, message, now);
      // The delete starts now: its snapshot cannot see this message until it commits.
      deleting = deleteChat(t, { id: chatId });
      await waitUntil(
        async () => (await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%delete from "chats"%'`.execute(db)).rows[0]!.n,
        (n) => n > 0,
        'the delete to wait for the chat',
      );
    });
    expect(await deleting).toMatchObject({ __typename: 'DeleteChatSuccess', deletedMessageCount: 3, deletedThreadCount: 1 });
  });

  it('answers NotFoundError the second time', async () => {
    const { chatId } = await chatWithMessages(t, 1);
    expect((await deleteChat(t, { id: chatId })).__typename).toBe('DeleteChatSuccess');
    expect(await deleteChat(t, { id: chatId })).toEqual({
      __typename: 'NotFoundError',
      message: expect.any(String),
      resourceType: 'CHAT',
      id: chatId,
    });
    const audit = await auditEntries(t);
    expect(audit.filter((e) => e.action === 'chat.delete')).toHaveLength(1);
  });

  it('answers NotFoundError for a chat that never existed', async () => {
    const id = randomUUID();
    expect(await deleteChat(t, { id })).toMatchObject({ __typename: 'NotFoundError', resourceType: 'CHAT', id });
  });

  it('answers ValidationError with path ["id"] for an id that is not a UUID, and changes nothing', async () => {
    const { flowId } = await chatWithMessages(t, 1);
    const before = await flowSnapshot(t, flowId);
    for (const id of ['not-a-uuid', '', '1234']) {
      const r = await deleteChat(t, { id });
      expect(r.__typename).toBe('ValidationError');
      expect(r.fieldErrors.map((e: any) => e.path)).toEqual([['id']]);
    }
    expect(await flowSnapshot(t, flowId)).toEqual(before);
  });
});

describe('deleteChat and versions', () => {
  it('a posted message or a new thread raises the chat version', async () => {
    const { chatId, threadId } = await chatWithMessages(t, 0);
    const v1 = (await readChat(t, chatId)).version;
    await postMessage(t, threadId, { content: 'raise it' });
    const v2 = (await readChat(t, chatId)).version;
    expect(v2).toBeGreaterThan(v1);
    await createThread(t, chatId, 'another');
    const v3 = (await readChat(t, chatId)).version;
    expect(v3).toBeGreaterThan(v2);
  });

  it('expectedVersion that is not the current one: ConflictError VERSION_MISMATCH with currentVersion, nothing changed', async () => {
    const { flowId, chatId, threadId } = await chatWithMessages(t, 2);
    const stale = (await readChat(t, chatId)).version;
    await postMessage(t, threadId, { content: 'moves the version on' });
    const current = (await readChat(t, chatId)).version;
    expect(current).toBeGreaterThan(stale);
    const before = await flowSnapshot(t, flowId);
    const counts = await rowCounts(t);

    const r = await deleteChat(t, { id: chatId, expectedVersion: stale });
    expect(r).toEqual({
      __typename: 'ConflictError',
      message: expect.any(String),
      reason: 'VERSION_MISMATCH',
      activeConnections: null,
      currentVersion: current,
    });
    expect(await flowSnapshot(t, flowId)).toEqual(before);
    expect(await rowCounts(t)).toEqual(counts);
  });

  it('the matching expectedVersion deletes', async () => {
    const { chatId } = await chatWithMessages(t, 2);
    const version = (await readChat(t, chatId)).version;
    const r = await deleteChat(t, { id: chatId, expectedVersion: version });
    expect(r).toMatchObject({ __typename: 'DeleteChatSuccess', deletedMessageCount: 2 });
    expect(await readChat(t, chatId)).toBeNull();
  });
});

describe('deleteChat and running streams', () => {
  it('cancels a running stream first: its subscribers get CANCELLED, and nothing more is written', async () => {
    const { chatId, threadId } = await chatWithMessages(t, 1);
    const { streamId } = await startStream(t, threadId, longPrompt());
    await waitForTokens(t, streamId);
    const sub = await subscribe(t, STREAM_EVENTS_SUB, { id: streamId });
    await sub.waitForPayloads(2);

    const r = await deleteChat(t, { id: chatId });
    expect(r).toMatchObject({ __typename: 'DeleteChatSuccess', cancelledStreamCount: 1, deletedThreadCount: 1 });
    // prompt + the message posted by the fixture; the reply was never committed
    expect(r.deletedMessageCount).toBe(2);

    expect(await endsWithin(sub)).toBe(true);
    const types = sub.payloads.map((p) => p.data?.streamEvents?.type);
    expect(types).toContain('CANCELLED');
    expect(types.filter((type) => type === 'COMPLETED')).toEqual([]);

    await sleep(100);
    expect(await streamEventRows(t, streamId)).toEqual([]);
    const db = t.app.deps.store.db;
    expect(await db.selectFrom('messages').select('id').where('chat_id', '=', chatId).execute()).toEqual([]);
    expect(await db.selectFrom('streams').select('id').where('id', '=', streamId).execute()).toEqual([]);
    await waitUntil(async () => t.app.live.runningTasks, (n) => n === 0, 'the stream task to end', 1000);
  });
});

describe('deleteChat and live connections', () => {
  it('answers ConflictError ACTIVE_CONNECTIONS with their count while chatEvents watch the chat, and changes nothing', async () => {
    const { flowId, chatId } = await chatWithMessages(t, 2);
    const first = await subscribe(t, CHAT_EVENTS_SUB, { chatId });
    const second = await subscribe(t, CHAT_EVENTS_SUB, { chatId });
    await waitUntil(() => readChat(t, chatId), (c) => c.activeConnections === 2, 'two live connections');
    const before = await flowSnapshot(t, flowId);

    const r = await deleteChat(t, { id: chatId });
    expect(r).toEqual({
      __typename: 'ConflictError',
      message: expect.any(String),
      reason: 'ACTIVE_CONNECTIONS',
      activeConnections: 2,
      currentVersion: null,
    });
    expect(await flowSnapshot(t, flowId)).toEqual(before);
    expect(first.isEnded()).toBe(false);
    expect(second.isEnded()).toBe(false);
  });

  it('with force: true sends CHAT_DELETED to the watchers, completes them and deletes', async () => {
    const { chatId } = await chatWithMessages(t, 2);
    const first = await subscribe(t, CHAT_EVENTS_SUB, { chatId });
    const second = await subscribe(t, CHAT_EVENTS_SUB, { chatId });
    await waitUntil(() => readChat(t, chatId), (c) => c.activeConnections === 2, 'two live connections');

    const r = await deleteChat(t, { id: chatId, force: true });
    expect(r).toMatchObject({ __typename: 'DeleteChatSuccess', closedConnections: 2, deletedMessageCount: 2 });
    for (const sub of [first, second]) {
      expect(await endsWithin(sub)).toBe(true);
      const events = sub.payloads.map((p) => p.data.chatEvents);
      expect(events.at(-1)).toEqual({ type: 'CHAT_DELETED', chatId, threadId: null, streamId: null });
    }
    expect(await readChat(t, chatId)).toBeNull();
    expect(await t.app.live.activeConnections(chatId)).toBe(0);
  });

  it('a closed subscription no longer counts as a live connection', async () => {
    const { chatId } = await chatWithMessages(t, 1);
    const sub = await subscribe(t, CHAT_EVENTS_SUB, { chatId });
    await waitUntil(() => readChat(t, chatId), (c) => c.activeConnections === 1, 'one live connection');
    sub.close();
    await waitUntil(() => readChat(t, chatId), (c) => c.activeConnections === 0, 'no live connection', 2000);
    expect(await deleteChat(t, { id: chatId })).toMatchObject({ __typename: 'DeleteChatSuccess', closedConnections: 0 });
  });
});
