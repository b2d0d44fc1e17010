import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MessageFields, createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import {
  deleteMessages,
  flowSnapshot,
  longPrompt,
  messageIds,
  readChat,
  readStream,
  readThread,
  startStream,
  waitForStatus,
  waitForTokens,
} from './documents.ts';

// docs/design.md#deletemessages, deleteMessages(flowId, filter, hardDelete = false):
// deletes the flow's messages that match every given filter field; no filter means all
// of them. feedbackTypes matches the rated messages and the USER message that prompted
// each of them in the same thread. Dates are inclusive.

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

type Name = 'm1' | 'm2' | 'm3' | 'm4' | 'm5' | 'm6' | 'm7' | 'm8' | 'm9';

/**
 * Flow F: chat C1 with threads T1 (m1–m4) and T2 (m5, m6), chat C2 with thread T3 (m7–m9).
 * Flow G (another flow of the same tenant) has look-alike messages that must never go.
 */
async function fixture() {
  const F = await createFlow(t, 'F');
  const C1 = await createChat(t, F, 'C1');
  const C2 = await createChat(t, F, 'C2');
  const T1 = await createThread(t, C1, 'T1');
  const T2 = await createThread(t, C1, 'T2');
  const T3 = await createThread(t, C2, 'T3');
  const spec: [Name, string, MessageFields][] = [
    ['m1', T1, { role: 'USER', sessionId: 's1', memoryType: 'buffer', chatType: 'INTERNAL', createdAt: '2024-01-10T10:00:00.000Z' }],
    ['m2', T1, { role: 'ASSISTANT', sessionId: 's1', memoryType: 'buffer', chatType: 'INTERNAL', feedback: 'THUMBS_UP', createdAt: '2024-01-10T10:00:05.000Z' }],
    ['m3', T1, { role: 'USER', sessionId: 's1', memoryType: 'window', chatType: 'EXTERNAL', createdAt: '2024-01-31T23:30:00.000Z' }],
    ['m4', T1, { role: 'ASSISTANT', sessionId: 's1', memoryType: 'window', chatType: 'EXTERNAL', feedback: 'THUMBS_DOWN', createdAt: '2024-01-31T23:30:05.000Z' }],
    ['m5', T2, { role: 'USER', sessionId: 's2', memoryType: 'buffer', chatType: 'EXTERNAL', createdAt: '2024-02-01T00:00:00.000Z' }],
    ['m6', T2, { role: 'ASSISTANT', sessionId: 's2', chatType: 'EXTERNAL', createdAt: '2024-02-01T00:00:01.000Z' }],
    ['m7', T3, { role: 'USER', sessionId: 's3', memoryType: 'buffer', chatType: 'INTERNAL', createdAt: '2024-02-15T12:00:00.000Z' }],
    ['m8', T3, { role: 'ASSISTANT', sessionId: 's3', chatType: 'INTERNAL', feedback: 'THUMBS_UP', createdAt: '2024-02-15T12:00:01.000Z' }],
    ['m9', T3, { role: 'USER', sessionId: 's3', chatType: 'INTERNAL', createdAt: '2024-02-15T12:01:00.000Z' }],
  ];
  const id = {} as Record<Name, string>;
  for (const [name, thread, fields] of spec) id[name] = await postMessage(t, thread, { content: `content of ${name}`, ...fields });

  const G = await createFlow(t, 'G');
  const GC = await createChat(t, G, 'G chat');
  const GT = await createThread(t, GC, 'G thread');
  const g1 = await postMessage(t, GT, { role: 'USER', sessionId: 's1', memoryType: 'buffer', createdAt: '2024-01-10T10:00:00.000Z' });
  const g2 = await postMessage(t, GT, { role: 'ASSISTANT', sessionId: 's1', feedback: 'THUMBS_UP', createdAt: '2024-01-10T10:00:05.000Z' });
  const all = Object.values(id);
  return { F, C1, C2, T1, T2, T3, id, G, GT, gIds: [g1, g2].sort(), all };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

/** Deletes with `filter` and checks `affected` and exactly which messages are left. */
async function expectDeletes(f: Fixture, filter: Record<string, unknown> | undefined, deleted: Name[]) {
  const r = await deleteMessages(t, { flowId: f.F, filter });
  expect(r.__typename).toBe('DeleteMessagesSuccess');
  const gone = deleted.map((n) => f.id[n]);
  const left = f.all.filter((m) => !gone.includes(m)).sort();
  expect({ affected: r.affected, left: await messageIds(t, f.F) }).toEqual({ affected: deleted.length, left });
  expect(await messageIds(t, f.G)).toEqual(f.gIds);
  return r;
}

describe('each filter field alone', () => {
  it('no filter deletes every message of the flow and nothing of another flow', async () => {
    const f = await fixture();
    await expectDeletes(f, undefined, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });

  it('an empty filter object means no filter', async () => {
    const f = await fixture();
    await expectDeletes(f, {}, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });

  it('chatId', async () => {
    const f = await fixture();
    await expectDeletes(f, { chatId: f.C1 }, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });

  it('threadId', async () => {
    const f = await fixture();
    await expectDeletes(f, { threadId: f.T2 }, ['m5', 'm6']);
  });

  it('sessionId', async () => {
    const f = await fixture();
    await expectDeletes(f, { sessionId: 's1' }, ['m1', 'm2', 'm3', 'm4']);
  });

  it('memoryType', async () => {
    const f = await fixture();
    await expectDeletes(f, { memoryType: 'buffer' }, ['m1', 'm2', 'm5', 'm7']);
  });

  it('chatTypes with one type', async () => {
    const f = await fixture();
    await expectDeletes(f, { chatTypes: ['EXTERNAL'] }, ['m3', 'm4', 'm5', 'm6']);
  });

  it('chatTypes with both types', async () => {
    const f = await fixture();
    await expectDeletes(f, { chatTypes: ['INTERNAL', 'EXTERNAL'] }, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
  });

  it('feedbackTypes THUMBS_UP: the rated messages and the latest USER message before each in its thread', async () => {
    const f = await fixture();
    // m2 was prompted by m1, m8 by m7; m9 is a USER message after the rating and stays.
    await expectDeletes(f, { feedbackTypes: ['THUMBS_UP'] }, ['m1', 'm2', 'm7', 'm8']);
  });

  it('feedbackTypes THUMBS_DOWN takes only the latest prompt, not every earlier USER message', async () => {
    const f = await fixture();
    // m4 follows m1 (USER), m2, m3 (USER): only m3 prompted it.
    await expectDeletes(f, { feedbackTypes: ['THUMBS_DOWN'] }, ['m3', 'm4']);
  });

  it('feedbackTypes with both types', async () => {
    const f = await fixture();
    await expectDeletes(f, { feedbackTypes: ['THUMBS_UP', 'THUMBS_DOWN'] }, ['m1', 'm2', 'm3', 'm4', 'm7', 'm8']);
  });

  it('feedbackTypes never takes a USER message of another thread as the prompt', async () => {
    const f = await fixture();
    // A rated reply that opens its thread: no USER message before it in that thread.
    const lone = await createThread(t, f.C1, 'lone');
    const rated = await postMessage(t, lone, {
      role: 'ASSISTANT',
      feedback: 'THUMBS_DOWN',
      createdAt: '2024-03-01T00:00:00.000Z',
    });
    expect(await messageIds(t, f.F, { threadId: lone })).toEqual([rated]);
    const r = await deleteMessages(t, { flowId: f.F, filter: { threadId: lone, feedbackTypes: ['THUMBS_DOWN'] } });
    expect(r.affected).toBe(1);
    expect(await messageIds(t, f.F)).toEqual([...f.all].sort());
    expect(await messageIds(t, f.F, { threadId: lone })).toEqual([]);
  });

  it('startDate alone is inclusive', async () => {
    const f = await fixture();
    await expectDeletes(f, { startDate: '2024-02-01T00:00:00.000Z' }, ['m5', 'm6', 'm7', 'm8', 'm9']);
  });

  it('endDate alone is inclusive', async () => {
    const f = await fixture();
    await expectDeletes(f, { endDate: '2024-01-31T23:30:00.000Z' }, ['m1', 'm2', 'm3']);
  });

  it('a bare date endDate "2024-01-31" covers that whole day', async () => {
    const f = await fixture();
    await expectDeletes(f, { endDate: '2024-01-31' }, ['m1', 'm2', 'm3', 'm4']);
  });

  it('a bare date startDate "2024-02-01" starts at that midnight', async () => {
    const f = await fixture();
    await expectDeletes(f, { startDate: '2024-02-01' }, ['m5', 'm6', 'm7', 'm8', 'm9']);
  });

  it('startDate and endDate together, both bounds inclusive', async () => {
    const f = await fixture();
    await expectDeletes(f, { startDate: '2024-01-10T10:00:05.000Z', endDate: '2024-02-01T00:00:00.000Z' }, ['m2', 'm3', 'm4', 'm5']);
  });

  it('the same instant written with an offset matches', async () => {
    const f = await fixture();
    // 2024-02-01T01:00:00+01:00 is m5's instant.
    await expectDeletes(f, { startDate: '2024-02-01T01:00:00+01:00', endDate: '2024-02-01T01:00:00+01:00' }, ['m5']);
  });
});

describe('filter fields combined: every given field must match', () => {
  it('chatId + sessionId + chatTypes', async () => {
    const f = await fixture();
    await expectDeletes(f, { chatId: f.C1, sessionId: 's1', chatTypes: ['EXTERNAL'] }, ['m3', 'm4']);
  });

  it('memoryType + bare endDate', async () => {
    const f = await fixture();
    await expectDeletes(f, { memoryType: 'buffer', endDate: '2024-01-31' }, ['m1', 'm2']);
  });

  it('feedbackTypes + chatId', async () => {
    const f = await fixture();
    await expectDeletes(f, { chatId: f.C2, feedbackTypes: ['THUMBS_UP'] }, ['m7', 'm8']);
  });

  it('threadId + sessionId that do not meet match nothing', async () => {
    const f = await fixture();
    await expectDeletes(f, { threadId: f.T3, sessionId: 's1' }, []);
  });

  it('every field at once', async () => {
    const f = await fixture();
    await expectDeletes(
      f,
      {
        chatId: f.C1,
        threadId: f.T1,
        sessionId: 's1',
        memoryType: 'window',
        chatTypes: ['EXTERNAL'],
        feedbackTypes: ['THUMBS_DOWN'],
        startDate: '2024-01-31',
        endDate: '2024-01-31',
      },
      ['m3', 'm4'],
    );
  });
});

describe('the answer', () => {
  it('carries affected, hardDelete and an audit entry without content', async () => {
    const f = await fixture();
    const r = await deleteMessages(t, { flowId: f.F, filter: { chatId: f.C1 } });
    expect(r).toMatchObject({
      __typename: 'DeleteMessagesSuccess',
      affected: 6,
      hardDelete: false,
      erasedEventCount: 0,
      auditEntry: { action: 'messages.delete', targetId: f.F, actor: 'key-a' },
    });
    expect(JSON.stringify(r.auditEntry.details)).not.toContain('content of');
  });

  it("raises the versions of the threads and chats it touched, not of the others", async () => {
    const f = await fixture();
    const before = { t1: (await readThread(t, f.T1)).version, t3: (await readThread(t, f.T3)).version, c1: (await readChat(t, f.C1)).version, c2: (await readChat(t, f.C2)).version };
    await deleteMessages(t, { flowId: f.F, filter: { threadId: f.T1 } });
    expect((await readThread(t, f.T1)).version).toBeGreaterThan(before.t1);
    expect((await readChat(t, f.C1)).version).toBeGreaterThan(before.c1);
    expect((await readThread(t, f.T3)).version).toBe(before.t3);
    expect((await readChat(t, f.C2)).version).toBe(before.c2);
  });

  it('a second identical delete affects 0', async () => {
    const f = await fixture();
    await deleteMessages(t, { flowId: f.F, filter: { sessionId: 's2' } });
    expect(await deleteMessages(t, { flowId: f.F, filter: { sessionId: 's2' } })).toMatchObject({
      __typename: 'DeleteMessagesSuccess',
      affected: 0,
    });
  });
});

describe('errors', () => {
  it('startDate after endDate: ValidationError at ["filter","startDate"], nothing deleted', async () => {
    const f = await fixture();
    const before = await flowSnapshot(t, f.F);
    const r = await deleteMessages(t, { flowId: f.F, filter: { startDate: '2024-02-01', endDate: '2024-01-31T00:00:00.000Z' } });
    expect(r.__typename).toBe('ValidationError');
    expect(r.fieldErrors.map((e: any) => e.path)).toEqual([['filter', 'startDate']]);
    expect(await flowSnapshot(t, f.F)).toEqual(before);
  });

  it.each([
    ['startDate', 'yesterday'],
    ['startDate', '2024-13-01'],
    ['endDate', '2024-02-30'],
    ['endDate', '31/01/2024'],
    ['endDate', ''],
  ])('a malformed %s (%j): ValidationError naming its path, nothing deleted', async (field, value) => {
    const f = await fixture();
    const before = await flowSnapshot(t, f.F);
    const r = await deleteMessages(t, { flowId: f.F, filter: { [field]: value } });
    expect(r.__typename).toBe('ValidationError');
    expect(r.fieldErrors.map((e: any) => e.path)).toEqual([['filter', field]]);
    expect(await flowSnapshot(t, f.F)).toEqual(before);
  });

  it('an unknown flow: NotFoundError FLOW', async () => {
    await fixture();
    const flowId = randomUUID();
    expect(await deleteMessages(t, { flowId })).toEqual({
      __typename: 'NotFoundError',
      message: expect.any(String),
      resourceType: 'FLOW',
      id: flowId,
    });
  });

  it('a flowId that is not a UUID: ValidationError at ["flowId"]', async () => {
    const r = await deleteMessages(t, { flowId: 'abc123-def456-ghi789' });
    expect(r.__typename).toBe('ValidationError');
    expect(r.fieldErrors.map((e: any) => e.path)).toEqual([['flowId']]);
  });

  it('a RUNNING stream in a matched thread: ConflictError ACTIVE_STREAM, nothing deleted', async () => {
    const f = await fixture();
    const { streamId } = await startStream(t, f.T1, longPrompt());
    await waitForTokens(t, streamId);
    const before = await messageIds(t, f.F);
    for (const filter of [undefined, { threadId: f.T1 }, { sessionId: 's1' }, { chatId: f.C1 }]) {
      expect(await deleteMessages(t, { flowId: f.F, filter })).toEqual({
        __typename: 'ConflictError',
        message: expect.any(String),
        reason: 'ACTIVE_STREAM',
        activeConnections: null,
        currentVersion: null,
      });
    }
    expect(await messageIds(t, f.F)).toEqual(before);
    // Messages of other threads can still go while the stream runs.
    expect(await deleteMessages(t, { flowId: f.F, filter: { threadId: f.T2 } })).toMatchObject({ affected: 2 });
    expect((await readStream(t, streamId)).status).toBe('RUNNING');
  });
});

describe('hardDelete', () => {
  it('erases the TOKEN events of a stream whose prompt and reply were deleted', async () => {
    const f = await fixture();
    const { streamId } = await startStream(t, f.T3, 'tell me something private');
    const done = await waitForStatus(t, streamId, 'COMPLETED');
    const tokens = done.events.filter((e: any) => e.type === 'TOKEN');
    expect(tokens).toHaveLength(4);

    const r = await deleteMessages(t, { flowId: f.F, filter: { threadId: f.T3 }, hardDelete: true });
    expect(r).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 5, hardDelete: true, erasedEventCount: 4 });
    const after = await readStream(t, streamId);
    expect(after.events.filter((e: any) => e.type === 'TOKEN')).toEqual([]);
    expect(after.events.map((e: any) => e.data ?? '').join('')).not.toContain('private');
    const rows = await t.app.deps.store.db.selectFrom('stream_events').selectAll().where('stream_id', '=', streamId).execute();
    expect(rows.filter((e) => e.type === 'TOKEN')).toEqual([]);
  });

  it('erases them when only the prompt was selected', async () => {
    const f = await fixture();
    const { streamId, promptId } = await startStream(t, f.T3, 'alpha beta');
    await waitForStatus(t, streamId, 'COMPLETED');
    // Only USER messages from the stream's start on: the prompt, not the reply.
    const prompt = (await readThread(t, f.T3)).messages.edges.find((e: any) => e.node.id === promptId).node;
    const r = await deleteMessages(t, {
      flowId: f.F,
      filter: { threadId: f.T3, startDate: prompt.createdAt, endDate: prompt.createdAt },
      hardDelete: true,
    });
    expect(r).toMatchObject({ affected: 1, erasedEventCount: 2 });
    expect((await readStream(t, streamId)).events.filter((e: any) => e.type === 'TOKEN')).toEqual([]);
  });

  it('without hardDelete the cached events stay', async () => {
    const f = await fixture();
    const { streamId } = await startStream(t, f.T3, 'alpha beta');
    await waitForStatus(t, streamId, 'COMPLETED');
    const r = await deleteMessages(t, { flowId: f.F, filter: { threadId: f.T3 } });
    expect(r).toMatchObject({ affected: 5, hardDelete: false, erasedEventCount: 0 });
    expect((await readStream(t, streamId)).events.filter((e: any) => e.type === 'TOKEN')).toHaveLength(2);
  });

  it('leaves the events of streams whose messages were not selected', async () => {
    const f = await fixture();
    const { streamId } = await startStream(t, f.T2, 'alpha beta');
    await waitForStatus(t, streamId, 'COMPLETED');
    const r = await deleteMessages(t, { flowId: f.F, filter: { threadId: f.T3 }, hardDelete: true });
    expect(r).toMatchObject({ affected: 3, erasedEventCount: 0 });
    expect((await readStream(t, streamId)).events.filter((e: any) => e.type === 'TOKEN')).toHaveLength(2);
  });
});
