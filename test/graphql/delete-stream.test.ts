import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import {
  ISO_MS,
  auditEntries,
  cancelStream,
  deleteStream,
  longPrompt,
  messageRowsOfThread,
  readChat,
  readStream,
  readThread,
  rowCounts,
  startStream,
  streamEventRows,
  waitForStatus,
  waitForTokens,
  waitUntil,
} from './documents.ts';
import { STREAM_EVENTS_SUB, endsWithin, subscribe } from './sse.ts';

// docs/design.md#deletestream, deleteStream(id, expectedVersion): a QUEUED or RUNNING
// stream is cancelled first; then the stream, its cached events, its partial output and
// its task and cancellation handles are removed. Subscribers get a final DELETED event.
// The message that a COMPLETED stream committed to its thread stays.

let t: TestApp;
let chatId: string;
let threadId: string;
beforeEach(async () => {
  t = await startTestApp();
  ({ chatId, threadId } = await chatWithMessages(t, 0));
});
afterEach(async () => t.close());

describe('a COMPLETED stream', () => {
  it('is removed with all its events; the reply it committed stays in the thread', async () => {
    const { streamId, promptId } = await startStream(t, threadId, 'alpha beta gamma');
    const done = await waitForStatus(t, streamId, 'COMPLETED');
    // STARTED, three TOKENs, COMPLETED
    expect(done.events.map((e: any) => e.type)).toEqual(['STARTED', 'TOKEN', 'TOKEN', 'TOKEN', 'COMPLETED']);
    expect(done.eventCount).toBe(5);
    const reply = done.message;
    expect(reply).toMatchObject({ role: 'ASSISTANT', content: 'alpha beta gamma' });

    const r = await deleteStream(t, { id: streamId });
    expect(r).toEqual({
      __typename: 'DeleteStreamSuccess',
      streamId,
      previousStatus: 'COMPLETED',
      cancelled: false,
      deletedEventCount: done.eventCount,
      deletedAt: expect.stringMatching(ISO_MS),
      auditEntry: expect.objectContaining({ action: 'stream.delete', targetType: 'STREAM', targetId: streamId, actor: 'key-a' }),
    });
    expect(JSON.stringify(r.auditEntry.details)).not.toMatch(/alpha|beta|gamma/);
    expect((await auditEntries(t))[0]).toEqual(r.auditEntry);

    expect(await readStream(t, streamId)).toBeNull();
    expect(await streamEventRows(t, streamId)).toEqual([]);
    const thread = await readThread(t, threadId);
    expect(thread.messages.edges.map((e: any) => [e.node.id, e.node.role, e.node.content])).toEqual([
      [promptId, 'USER', 'alpha beta gamma'],
      [reply.id, 'ASSISTANT', 'alpha beta gamma'],
    ]);
  });

  it('answers NotFoundError the second time', async () => {
    const { streamId } = await startStream(t, threadId, 'one two');
    await waitForStatus(t, streamId, 'COMPLETED');
    expect((await deleteStream(t, { id: streamId })).__typename).toBe('DeleteStreamSuccess');
    const counts = await rowCounts(t);
    expect(await deleteStream(t, { id: streamId })).toEqual({
      __typename: 'NotFoundError',
      message: expect.any(String),
      resourceType: 'STREAM',
      id: streamId,
    });
    expect(await rowCounts(t)).toEqual(counts);
  });

  it("raises the thread's and the chat's versions", async () => {
    const { streamId } = await startStream(t, threadId, 'one two');
    await waitForStatus(t, streamId, 'COMPLETED');
    const threadVersion = (await readThread(t, threadId)).version;
    const chatVersion = (await readChat(t, chatId)).version;
    await deleteStream(t, { id: streamId });
    expect((await readThread(t, threadId)).version).toBeGreaterThan(threadVersion);
    expect((await readChat(t, chatId)).version).toBeGreaterThan(chatVersion);
  });
});

describe('a RUNNING stream', () => {
  it('is cancelled first, then removed; nothing more is written and no reply is committed', async () => {
    const { streamId, promptId } = await startStream(t, threadId, longPrompt());
    const running = await waitForTokens(t, streamId);
    expect(running.status).toBe('RUNNING');

    const r = await deleteStream(t, { id: streamId });
    expect(r).toMatchObject({ __typename: 'DeleteStreamSuccess', streamId, previousStatus: 'RUNNING', cancelled: true });
    // STARTED, at least one TOKEN, and the CANCELLED written by the delete
    expect(r.deletedEventCount).toBeGreaterThanOrEqual(3);
    expect(await readStream(t, streamId)).toBeNull();
    expect(await streamEventRows(t, streamId)).toEqual([]);

    await sleep(100);
    expect(await streamEventRows(t, streamId)).toEqual([]);
    expect(await t.app.deps.store.db.selectFrom('streams').select('id').where('id', '=', streamId).execute()).toEqual([]);
    expect((await messageRowsOfThread(t, threadId)).map((m) => [m.id, m.role])).toEqual([[promptId, 'USER']]);
    expect((await readThread(t, threadId)).messageCount).toBe(1);
  });

  it('its task handle is released', async () => {
    const { streamId } = await startStream(t, threadId, longPrompt());
    await waitForTokens(t, streamId);
    expect(t.app.live.runningTasks).toBe(1);
    await deleteStream(t, { id: streamId });
    await waitUntil(async () => t.app.live.runningTasks, (n) => n === 0, 'the stream task to end', 1000);
  });

  it('its subscribers get CANCELLED and then a final DELETED event, and the subscription completes', async () => {
    const { streamId } = await startStream(t, threadId, longPrompt());
    await waitForTokens(t, streamId);
    const sub = await subscribe(t, STREAM_EVENTS_SUB, { id: streamId });
    await sub.waitForPayloads(2);

    expect(await deleteStream(t, { id: streamId })).toMatchObject({ cancelled: true });
    expect(await endsWithin(sub)).toBe(true);
    const events = sub.payloads.map((p) => p.data.streamEvents);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['CANCELLED', 'DELETED']);
    // seq keeps growing to the very end
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});

describe('a CANCELLED stream', () => {
  it('cancelStream then deleteStream: previousStatus CANCELLED, cancelled false', async () => {
    const { streamId } = await startStream(t, threadId, longPrompt());
    await waitForTokens(t, streamId);
    const c = await cancelStream(t, streamId);
    expect(c).toMatchObject({ __typename: 'CancelStreamSuccess', wasActive: true, stream: { id: streamId, status: 'CANCELLED' } });
    const cancelled = await readStream(t, streamId);

    const r = await deleteStream(t, { id: streamId });
    expect(r).toMatchObject({
      __typename: 'DeleteStreamSuccess',
      previousStatus: 'CANCELLED',
      cancelled: false,
      deletedEventCount: cancelled.eventCount,
    });
    expect(await readStream(t, streamId)).toBeNull();
    expect(await streamEventRows(t, streamId)).toEqual([]);
  });
});

describe('versions', () => {
  it('a stale expectedVersion answers VERSION_MISMATCH with currentVersion, and changes nothing', async () => {
    const { streamId } = await startStream(t, threadId, 'one two three');
    const done = await waitForStatus(t, streamId, 'COMPLETED');
    const counts = await rowCounts(t);
    for (const expectedVersion of [done.version - 1, done.version + 1]) {
      expect(await deleteStream(t, { id: streamId, expectedVersion })).toEqual({
        __typename: 'ConflictError',
        message: expect.any(String),
        reason: 'VERSION_MISMATCH',
        activeConnections: null,
        currentVersion: done.version,
      });
    }
    expect(await readStream(t, streamId)).toEqual(done);
    expect(await rowCounts(t)).toEqual(counts);
  });

  it('the matching expectedVersion deletes', async () => {
    const { streamId } = await startStream(t, threadId, 'one two three');
    const done = await waitForStatus(t, streamId, 'COMPLETED');
    expect(await deleteStream(t, { id: streamId, expectedVersion: done.version })).toMatchObject({
      __typename: 'DeleteStreamSuccess',
      previousStatus: 'COMPLETED',
    });
  });
});

describe('bad input', () => {
  it('answers ValidationError with path ["id"] for an id that is not a UUID', async () => {
    for (const id of ['stream-1', '']) {
      const r = await deleteStream(t, { id });
      expect(r.__typename).toBe('ValidationError');
      expect(r.fieldErrors.map((e: any) => e.path)).toEqual([['id']]);
    }
  });

  it('answers NotFoundError for a stream that never existed', async () => {
    const id = randomUUID();
    expect(await deleteStream(t, { id })).toMatchObject({ __typename: 'NotFoundError', resourceType: 'STREAM', id });
  });
});
