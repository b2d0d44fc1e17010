import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import {
  CHAT,
  MESSAGES,
  STREAM,
  THREAD,
  cancelStream,
  deleteChat,
  deleteMessages,
  deleteStream,
  deleteThread,
  deletedThreadIds,
  auditEntries,
  flowSnapshot,
  restoreThread,
  run,
  startStream,
  waitForStatus,
} from './documents.ts';
import { CHAT_EVENTS_SUB, STREAM_EVENTS_SUB, endsWithin, subscribe } from './sse.ts';

// docs/design.md#tenancy: every row carries its tenant. A resource of another tenant is
// indistinguishable from a missing one: NotFoundError, never a hint that it exists.

let t: TestApp;
let a: { flowId: string; chatId: string; threadId: string; softThreadId: string; streamId: string };
let snapshotOfA: unknown;

beforeEach(async () => {
  t = await startTestApp();
  const flowId = await createFlow(t, 'A flow');
  const chatId = await createChat(t, flowId, 'A chat');
  const threadId = await createThread(t, chatId, 'A thread');
  await postMessage(t, threadId, { content: 'A says hi' });
  await postMessage(t, threadId, { role: 'ASSISTANT', content: 'A hears', feedback: 'THUMBS_UP' });
  const softThreadId = await createThread(t, chatId, 'A soft-deleted thread');
  await postMessage(t, softThreadId, { content: 'in the bin' });
  expect((await deleteThread(t, { id: softThreadId })).__typename).toBe('DeleteThreadSuccess');
  const { streamId } = await startStream(t, threadId, 'one two three');
  await waitForStatus(t, streamId, 'COMPLETED');
  a = { flowId, chatId, threadId, softThreadId, streamId };
  snapshotOfA = await flowSnapshot(t, flowId);
});
afterEach(async () => t.close());

/** B's answer for A's id must equal B's answer for an id that exists nowhere. */
function expectSameAsMissing(forA: any, forMissing: any, aId: string, missingId: string) {
  expect(JSON.parse(JSON.stringify(forA).replaceAll(aId, '<id>'))).toEqual(
    JSON.parse(JSON.stringify(forMissing).replaceAll(missingId, '<id>')),
  );
}

describe("tenant B's key against A's resources", () => {
  it('deleteChat answers NotFoundError CHAT, also with an expectedVersion', async () => {
    const r = await deleteChat(t, { id: a.chatId }, t.keys.b);
    expect(r).toMatchObject({ __typename: 'NotFoundError', resourceType: 'CHAT', id: a.chatId });
    const missing = randomUUID();
    expectSameAsMissing(r, await deleteChat(t, { id: missing }, t.keys.b), a.chatId, missing);
    // A wrong version must not turn into a ConflictError that reveals the current version.
    expect(await deleteChat(t, { id: a.chatId, expectedVersion: 999 }, t.keys.b)).toMatchObject({
      __typename: 'NotFoundError',
      resourceType: 'CHAT',
      id: a.chatId,
    });
    expect(await deleteChat(t, { id: a.chatId, force: true }, t.keys.b)).toMatchObject({ __typename: 'NotFoundError' });
    expect(await flowSnapshot(t, a.flowId)).toEqual(snapshotOfA);
  });

  it('deleteThread answers NotFoundError THREAD, soft or permanent, live or soft-deleted', async () => {
    for (const id of [a.threadId, a.softThreadId]) {
      for (const permanent of [false, true]) {
        expect(await deleteThread(t, { id, permanent }, t.keys.b)).toMatchObject({
          __typename: 'NotFoundError',
          resourceType: 'THREAD',
          id,
        });
      }
    }
    expect(await deleteThread(t, { id: a.threadId, expectedVersion: 999 }, t.keys.b)).toMatchObject({
      __typename: 'NotFoundError',
      resourceType: 'THREAD',
    });
    const missing = randomUUID();
    expectSameAsMissing(
      await deleteThread(t, { id: a.threadId }, t.keys.b),
      await deleteThread(t, { id: missing }, t.keys.b),
      a.threadId,
      missing,
    );
    expect(await flowSnapshot(t, a.flowId)).toEqual(snapshotOfA);
  });

  it('deleteStream answers NotFoundError STREAM', async () => {
    expect(await deleteStream(t, { id: a.streamId }, t.keys.b)).toMatchObject({
      __typename: 'NotFoundError',
      resourceType: 'STREAM',
      id: a.streamId,
    });
    expect(await deleteStream(t, { id: a.streamId, expectedVersion: 999 }, t.keys.b)).toMatchObject({
      __typename: 'NotFoundError',
      resourceType: 'STREAM',
    });
    const missing = randomUUID();
    expectSameAsMissing(
      await deleteStream(t, { id: a.streamId }, t.keys.b),
      await deleteStream(t, { id: missing }, t.keys.b),
      a.streamId,
      missing,
    );
    const stream = await run(t, STREAM, { id: a.streamId }, 'stream');
    expect(stream).toMatchObject({ id: a.streamId, status: 'COMPLETED' });
    expect(await flowSnapshot(t, a.flowId)).toEqual(snapshotOfA);
  });

  it("deleteMessages answers NotFoundError FLOW for A's flow, with or without a filter", async () => {
    for (const filter of [undefined, { chatId: a.chatId }, { threadId: a.threadId }]) {
      for (const hardDelete of [false, true]) {
        expect(await deleteMessages(t, { flowId: a.flowId, filter, hardDelete }, t.keys.b)).toMatchObject({
          __typename: 'NotFoundError',
          resourceType: 'FLOW',
          id: a.flowId,
        });
      }
    }
    const missing = randomUUID();
    expectSameAsMissing(
      await deleteMessages(t, { flowId: a.flowId }, t.keys.b),
      await deleteMessages(t, { flowId: missing }, t.keys.b),
      a.flowId,
      missing,
    );
    expect(await flowSnapshot(t, a.flowId)).toEqual(snapshotOfA);
  });

  it("deleteMessages on B's own flow with A's chat or thread as filter touches nothing of A", async () => {
    const bFlow = await createFlow(t, 'B flow', t.keys.b);
    const bChat = await createChat(t, bFlow, 'B chat', t.keys.b);
    const bThread = await createThread(t, bChat, 'B thread', t.keys.b);
    await postMessage(t, bThread, { content: 'B says hi' }, t.keys.b);
    for (const filter of [{ chatId: a.chatId }, { threadId: a.threadId }]) {
      expect(await deleteMessages(t, { flowId: bFlow, filter, hardDelete: true }, t.keys.b)).toMatchObject({
        __typename: 'DeleteMessagesSuccess',
        affected: 0,
      });
    }
    expect(await flowSnapshot(t, a.flowId)).toEqual(snapshotOfA);
  });

  it('restoreThread, cancelStream and writes into A answer NotFoundError', async () => {
    expect(await restoreThread(t, a.softThreadId, t.keys.b)).toMatchObject({
      __typename: 'NotFoundError',
      resourceType: 'THREAD',
      id: a.softThreadId,
    });
    expect(await cancelStream(t, a.streamId, t.keys.b)).toMatchObject({ __typename: 'NotFoundError', resourceType: 'STREAM' });
    const post = await t.gql(
      `mutation($input: PostMessageInput!) { postMessage(input: $input) { __typename ... on NotFoundError { resourceType id } } }`,
      { input: { threadId: a.threadId, role: 'USER', content: 'intruder' } },
      { key: t.keys.b },
    );
    expect(post.body.data.postMessage).toEqual({ __typename: 'NotFoundError', resourceType: 'THREAD', id: a.threadId });
    const chat = await t.gql(
      `mutation($input: CreateChatInput!) { createChat(input: $input) { __typename ... on NotFoundError { resourceType id } } }`,
      { input: { flowId: a.flowId } },
      { key: t.keys.b },
    );
    expect(chat.body.data.createChat).toEqual({ __typename: 'NotFoundError', resourceType: 'FLOW', id: a.flowId });
    expect(await flowSnapshot(t, a.flowId)).toEqual(snapshotOfA);
  });

  it('reads return null or empty lists', async () => {
    const b = t.keys.b;
    expect(await run(t, `query($id: ID!) { flow(id: $id) { id } }`, { id: a.flowId }, 'flow', { key: b })).toBeNull();
    expect(await run(t, CHAT, { id: a.chatId }, 'chat', { key: b })).toBeNull();
    expect(await run(t, THREAD, { id: a.threadId }, 'thread', { key: b })).toBeNull();
    expect(await run(t, THREAD, { id: a.softThreadId }, 'thread', { key: b })).toBeNull();
    expect(await run(t, STREAM, { id: a.streamId }, 'stream', { key: b })).toBeNull();
    const messages = await run(t, MESSAGES, { flowId: a.flowId }, 'messages', { key: b });
    expect(messages.edges).toEqual([]);
    const lists = await t.gql(
      `query($flowId: ID!) {
        flows(first: 100) { edges { node { id } } }
        chats(first: 100) { edges { node { id } } }
        byFlow: chats(flowId: $flowId, first: 100) { edges { node { id } } }
      }`,
      { flowId: a.flowId },
      { key: b },
    );
    expect(lists.body).toEqual({ data: { flows: { edges: [] }, chats: { edges: [] }, byFlow: { edges: [] } } });
    expect(await deletedThreadIds(t, b)).toEqual([]);
    expect(await auditEntries(t, b)).toEqual([]);
  });

  it("subscriptions to A's chat or stream fail and do not count as A's live connections", async () => {
    for (const [query, variables] of [
      [CHAT_EVENTS_SUB, { chatId: a.chatId }],
      [STREAM_EVENTS_SUB, { id: a.streamId }],
    ] as const) {
      const sub = await subscribe(t, query, variables, t.keys.b);
      expect(await endsWithin(sub)).toBe(true);
      expect(sub.payloads).toHaveLength(1);
      expect(sub.payloads[0].errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(sub.payloads[0].data ?? null).toBeNull();
    }
    expect((await run(t, CHAT, { id: a.chatId }, 'chat')).activeConnections).toBe(0);
    expect(await deleteChat(t, { id: a.chatId })).toMatchObject({ __typename: 'DeleteChatSuccess', closedConnections: 0 });
  });

  it("A still sees everything of A's afterwards, and B's deletes left no audit entry", async () => {
    await deleteChat(t, { id: a.chatId }, t.keys.b);
    await deleteThread(t, { id: a.threadId, permanent: true }, t.keys.b);
    await deleteStream(t, { id: a.streamId }, t.keys.b);
    await deleteMessages(t, { flowId: a.flowId }, t.keys.b);
    await restoreThread(t, a.softThreadId, t.keys.b);
    expect(await flowSnapshot(t, a.flowId)).toEqual(snapshotOfA);
    expect(await deletedThreadIds(t)).toEqual([a.softThreadId]);
    expect(await auditEntries(t, t.keys.b)).toEqual([]);
  });
});
