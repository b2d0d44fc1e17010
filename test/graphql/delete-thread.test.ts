import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { purgeExpiredThreads } from '../../src/domain/purge.ts';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import {
  DAY_MS,
  ISO_MS,
  auditEntries,
  deleteThread,
  deletedThreadIds,
  flowSnapshot,
  longPrompt,
  messageIds,
  messageRowsOfThread,
  readChat,
  readStream,
  readThread,
  restoreThread,
  rowCounts,
  run,
  startStream,
  streamEventRows,
  waitForTokens,
} from './documents.ts';

// docs/design.md#deletethread, deleteThread(id, permanent = false, expectedVersion):
// soft by default, restorable for 30 days, then purged; permanent erases at once.

let t: TestApp;
let flowId: string;
let chatId: string;
let threadId: string;
let messages: string[];
let otherThreadId: string;
let otherMessage: string;

beforeEach(async () => {
  t = await startTestApp();
  flowId = await createFlow(t, 'Flow');
  chatId = await createChat(t, flowId, 'Chat');
  threadId = await createThread(t, chatId, 'Doomed thread');
  messages = [];
  for (const content of ['first', 'second', 'third']) messages.push(await postMessage(t, threadId, { content }));
  otherThreadId = await createThread(t, chatId, 'Neighbour');
  otherMessage = await postMessage(t, otherThreadId, { content: 'neighbour message' });
});
afterEach(async () => t.close());

const THIRTY_DAYS = 30 * DAY_MS;

describe('soft delete (the default)', () => {
  it('answers the seed shape with softDelete, canRestore and restoreUntil = deletedAt + 30 days', async () => {
    const r = await deleteThread(t, { id: threadId });
    expect(r).toEqual({
      __typename: 'DeleteThreadSuccess',
      id: threadId,
      threadId,
      deleted: true,
      object: 'thread.deleted',
      status: 'success',
      message: expect.any(String),
      threadTitle: 'Doomed thread',
      chatId,
      flowId,
      deletedMessageCount: 3,
      cancelledStreamCount: 0,
      deletedAt: expect.stringMatching(ISO_MS),
      deletedBy: 'key-a',
      softDelete: true,
      permanentDelete: false,
      canRestore: true,
      restoreUntil: expect.stringMatching(ISO_MS),
      requestId: expect.any(String),
      operationDurationMs: expect.any(Number),
      auditEntry: expect.objectContaining({ action: 'thread.delete', targetType: 'THREAD', targetId: threadId, actor: 'key-a' }),
    });
    expect(Date.parse(r.restoreUntil) - Date.parse(r.deletedAt)).toBe(THIRTY_DAYS);
    expect(r.operationDurationMs).toBeGreaterThanOrEqual(0);
    expect(r.requestId).not.toBe('');
    expect(r.auditEntry.requestId).toBe(r.requestId);
    expect(JSON.stringify(r.auditEntry.details)).not.toMatch(/first|second|third/);
  });

  it('the thread and its messages vanish from every read at once', async () => {
    const chatBefore = await readChat(t, chatId);
    expect(chatBefore.messageCount).toBe(4);
    await deleteThread(t, { id: threadId });

    expect(await readThread(t, threadId)).toBeNull();
    expect(await messageIds(t, flowId)).toEqual([otherMessage]);
    expect(await messageIds(t, flowId, { threadId })).toEqual([]);
    const chat = await readChat(t, chatId);
    expect(chat.messageCount).toBe(1);
    expect(chat.threads.edges.map((e: any) => e.node.id)).toEqual([otherThreadId]);
    // What stays resolves to the neighbour thread only.
    const byNode = await t.gql(
      `query($f: ID!) { messages(flowId: $f, first: 100) { edges { node { id thread { id } } } } }`,
      { f: flowId },
    );
    expect(byNode.body.data.messages.edges).toEqual([{ node: { id: otherMessage, thread: { id: otherThreadId } } }]);
  });

  it('lists the thread in deletedThreads with its deletedAt and restoreUntil', async () => {
    const r = await deleteThread(t, { id: threadId });
    const list = await run(
      t,
      `{ deletedThreads(first: 100) { edges { node { id title deletedAt restoreUntil } } } }`,
      {},
      'deletedThreads',
    );
    expect(list.edges).toEqual([
      { node: { id: threadId, title: 'Doomed thread', deletedAt: r.deletedAt, restoreUntil: r.restoreUntil } },
    ]);
  });

  it('restoreThread brings it back with its messages unchanged', async () => {
    const before = await readThread(t, threadId);
    await deleteThread(t, { id: threadId });
    const r = await restoreThread(t, threadId);
    expect(r.__typename).toBe('RestoreThreadSuccess');
    expect(r.thread).toMatchObject({ id: threadId, title: 'Doomed thread', messageCount: 3, deletedAt: null, restoreUntil: null });

    const after = await readThread(t, threadId);
    expect(after.messages).toEqual(before.messages);
    expect({ ...after, version: 0 }).toEqual({ ...before, version: 0 });
    expect(await messageIds(t, flowId)).toEqual([...messages, otherMessage].sort());
    expect((await readChat(t, chatId)).messageCount).toBe(4);
    expect(await deletedThreadIds(t)).toEqual([]);
    const [newest] = await auditEntries(t);
    expect(newest).toMatchObject({ action: 'thread.restore', targetType: 'THREAD', targetId: threadId, actor: 'key-a' });
  });

  it('deleting a soft-deleted thread again without permanent answers NotFoundError', async () => {
    await deleteThread(t, { id: threadId });
    const counts = await rowCounts(t);
    expect(await deleteThread(t, { id: threadId })).toEqual({
      __typename: 'NotFoundError',
      message: expect.any(String),
      resourceType: 'THREAD',
      id: threadId,
    });
    expect(await rowCounts(t)).toEqual(counts);
    expect(await deletedThreadIds(t)).toEqual([threadId]);
  });

  it('keeps the rows: a soft delete is not an erasure', async () => {
    await deleteThread(t, { id: threadId });
    expect((await messageRowsOfThread(t, threadId)).map((m) => m.id).sort()).toEqual([...messages].sort());
  });
});

describe('permanent delete', () => {
  it('erases a live thread at once', async () => {
    const r = await deleteThread(t, { id: threadId, permanent: true });
    expect(r).toMatchObject({
      __typename: 'DeleteThreadSuccess',
      id: threadId,
      deleted: true,
      object: 'thread.deleted',
      status: 'success',
      deletedMessageCount: 3,
      softDelete: false,
      permanentDelete: true,
      canRestore: false,
      restoreUntil: null,
      deletedBy: 'key-a',
    });
    expect(await readThread(t, threadId)).toBeNull();
    expect(await deletedThreadIds(t)).toEqual([]);
    expect(await restoreThread(t, threadId)).toMatchObject({ __typename: 'NotFoundError', resourceType: 'THREAD', id: threadId });
    expect(await messageRowsOfThread(t, threadId)).toEqual([]);
    expect(await t.app.deps.store.db.selectFrom('threads').select('id').where('id', '=', threadId).execute()).toEqual([]);
    expect(await messageIds(t, flowId)).toEqual([otherMessage]);
  });

  it('erases an already soft-deleted thread', async () => {
    await deleteThread(t, { id: threadId });
    const r = await deleteThread(t, { id: threadId, permanent: true });
    expect(r).toMatchObject({
      __typename: 'DeleteThreadSuccess',
      id: threadId,
      permanentDelete: true,
      softDelete: false,
      canRestore: false,
      restoreUntil: null,
      deletedMessageCount: 3,
    });
    expect(await deletedThreadIds(t)).toEqual([]);
    expect(await restoreThread(t, threadId)).toMatchObject({ __typename: 'NotFoundError', resourceType: 'THREAD' });
    expect(await messageRowsOfThread(t, threadId)).toEqual([]);
    expect(await deleteThread(t, { id: threadId, permanent: true })).toMatchObject({
      __typename: 'NotFoundError',
      resourceType: 'THREAD',
      id: threadId,
    });
  });

  it('answers NotFoundError the second time', async () => {
    await deleteThread(t, { id: threadId, permanent: true });
    for (const permanent of [false, true]) {
      expect(await deleteThread(t, { id: threadId, permanent })).toMatchObject({
        __typename: 'NotFoundError',
        resourceType: 'THREAD',
        id: threadId,
      });
    }
    expect((await auditEntries(t)).filter((e) => e.action === 'thread.delete')).toHaveLength(1);
  });
});

describe('purge after the restore window', () => {
  it('once the window has passed the thread cannot be restored, and the purge erases it for good', async () => {
    await deleteThread(t, { id: threadId });
    t.clock.advance(31 * DAY_MS);
    expect(await deletedThreadIds(t)).toEqual([]);

    expect((await purgeExpiredThreads(t.app.deps)).purged).toBe(1);
    expect(await restoreThread(t, threadId)).toMatchObject({ __typename: 'NotFoundError', resourceType: 'THREAD', id: threadId });
    expect(await messageRowsOfThread(t, threadId)).toEqual([]);
    expect(await t.app.deps.store.db.selectFrom('threads').select('id').where('id', '=', threadId).execute()).toEqual([]);
    const [newest] = await auditEntries(t);
    expect(newest).toMatchObject({ action: 'thread.purge', targetType: 'THREAD', targetId: threadId });
    expect(JSON.stringify(newest.details)).not.toMatch(/first|second|third/);
    // The neighbour is untouched, and a second purge finds nothing.
    expect(await messageIds(t, flowId)).toEqual([otherMessage]);
    expect((await purgeExpiredThreads(t.app.deps)).purged).toBe(0);
  });

  it('a restore after the window answers NotFoundError even before the purge ran', async () => {
    await deleteThread(t, { id: threadId });
    t.clock.advance(31 * DAY_MS);
    expect(await restoreThread(t, threadId)).toMatchObject({ __typename: 'NotFoundError', resourceType: 'THREAD' });
    expect(await readThread(t, threadId)).toBeNull();
  });

  it('does not purge a thread whose window is still open', async () => {
    await deleteThread(t, { id: threadId });
    t.clock.advance(29 * DAY_MS);
    expect((await purgeExpiredThreads(t.app.deps)).purged).toBe(0);
    expect(await deletedThreadIds(t)).toEqual([threadId]);
    expect((await restoreThread(t, threadId)).__typename).toBe('RestoreThreadSuccess');
    expect(await messageIds(t, flowId)).toEqual([...messages, otherMessage].sort());
  });

  it('never purges live threads, nor a thread that was restored', async () => {
    await deleteThread(t, { id: threadId });
    await restoreThread(t, threadId);
    t.clock.advance(31 * DAY_MS);
    expect((await purgeExpiredThreads(t.app.deps)).purged).toBe(0);
    expect((await readThread(t, threadId)).messageCount).toBe(3);
    expect((await readThread(t, otherThreadId)).messageCount).toBe(1);
  });
});

describe('versions', () => {
  it('a posted message raises the thread version; a stale expectedVersion answers VERSION_MISMATCH and changes nothing', async () => {
    const stale = (await readThread(t, threadId)).version;
    await postMessage(t, threadId, { content: 'fourth' });
    const current = (await readThread(t, threadId)).version;
    expect(current).toBeGreaterThan(stale);
    const before = await flowSnapshot(t, flowId);

    for (const permanent of [false, true]) {
      expect(await deleteThread(t, { id: threadId, permanent, expectedVersion: stale })).toEqual({
        __typename: 'ConflictError',
        message: expect.any(String),
        reason: 'VERSION_MISMATCH',
        activeConnections: null,
        currentVersion: current,
      });
    }
    expect(await flowSnapshot(t, flowId)).toEqual(before);
  });

  it('the matching expectedVersion deletes', async () => {
    const { version } = await readThread(t, threadId);
    expect(await deleteThread(t, { id: threadId, expectedVersion: version })).toMatchObject({
      __typename: 'DeleteThreadSuccess',
      deletedMessageCount: 3,
    });
  });

  it("deleting a thread raises its chat's version", async () => {
    const before = (await readChat(t, chatId)).version;
    await deleteThread(t, { id: threadId });
    expect((await readChat(t, chatId)).version).toBeGreaterThan(before);
  });
});

describe('bad input', () => {
  it('answers ValidationError with path ["id"] and changes nothing', async () => {
    const before = await flowSnapshot(t, flowId);
    for (const id of ['nope', '']) {
      const r = await deleteThread(t, { id, permanent: true });
      expect(r.__typename).toBe('ValidationError');
      expect(r.fieldErrors.map((e: any) => e.path)).toEqual([['id']]);
    }
    expect(await flowSnapshot(t, flowId)).toEqual(before);
  });

  it('answers NotFoundError for a thread that never existed', async () => {
    const id = randomUUID();
    expect(await deleteThread(t, { id })).toMatchObject({ __typename: 'NotFoundError', resourceType: 'THREAD', id });
  });
});

describe('running streams of the thread', () => {
  it('a soft delete cancels them: nothing more is written, and after a restore the stream is CANCELLED', async () => {
    const { streamId } = await startStream(t, threadId, longPrompt());
    await waitForTokens(t, streamId);
    const r = await deleteThread(t, { id: threadId });
    expect(r).toMatchObject({ __typename: 'DeleteThreadSuccess', cancelledStreamCount: 1, deletedMessageCount: 4 });
    const rowsAfterDelete = await streamEventRows(t, streamId);
    expect(rowsAfterDelete.at(-1)?.type).toBe('CANCELLED');
    await sleep(100);
    expect(await streamEventRows(t, streamId)).toEqual(rowsAfterDelete);
    expect((await messageRowsOfThread(t, threadId)).filter((m) => m.role === 'ASSISTANT')).toEqual([]);

    await restoreThread(t, threadId);
    const stream = await readStream(t, streamId);
    expect(stream.status).toBe('CANCELLED');
    expect(stream.message).toBeNull();
  });

  it('a permanent delete cancels them and removes them with their events', async () => {
    const { streamId } = await startStream(t, threadId, longPrompt());
    await waitForTokens(t, streamId);
    const r = await deleteThread(t, { id: threadId, permanent: true });
    expect(r).toMatchObject({ __typename: 'DeleteThreadSuccess', cancelledStreamCount: 1, deletedMessageCount: 4 });
    await sleep(100);
    expect(await streamEventRows(t, streamId)).toEqual([]);
    expect(await messageRowsOfThread(t, threadId)).toEqual([]);
    expect(await t.app.deps.store.db.selectFrom('streams').select('id').where('id', '=', streamId).execute()).toEqual([]);
  });
});
