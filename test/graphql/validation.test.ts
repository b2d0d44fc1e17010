import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import {
  ERROR_FIELDS,
  START_STREAM,
  deleteChat,
  deleteMessages,
  deleteStream,
  deleteThread,
  flowSnapshot,
  readThread,
  rowCounts,
  run,
} from './documents.ts';

// Bad input is answered with a ValidationError that names the argument path, and nothing
// is created or changed (docs/design.md#the-four-deletes, "Validation first": bad input is
// answered with a ValidationError naming the argument path, and nothing is changed; the
// same for the writes).

let t: TestApp;
let base: Awaited<ReturnType<typeof chatWithMessages>>;
beforeEach(async () => {
  t = await startTestApp();
  base = await chatWithMessages(t, 2);
});
afterEach(async () => t.close());

const CREATE_FLOW = `mutation($input: CreateFlowInput!) { createFlow(input: $input) { __typename ... on CreateFlowSuccess { flow { id } } ...ErrorFields } } ${ERROR_FIELDS}`;
const CREATE_CHAT = `mutation($input: CreateChatInput!) { createChat(input: $input) { __typename ... on CreateChatSuccess { chat { id } } ...ErrorFields } } ${ERROR_FIELDS}`;
const CREATE_THREAD = `mutation($input: CreateThreadInput!) { createThread(input: $input) { __typename ... on CreateThreadSuccess { thread { id } } ...ErrorFields } } ${ERROR_FIELDS}`;
const POST_MESSAGE = `mutation($input: PostMessageInput!) { postMessage(input: $input) { __typename ... on PostMessageSuccess { posted: message { id content } } ...ErrorFields } } ${ERROR_FIELDS}`;

const paths = (r: any) => r.fieldErrors.map((e: any) => e.path);

/** Runs a write that must be refused with exactly these paths, leaving every row as it was. */
async function expectRefused(query: string, variables: Record<string, unknown>, field: string, expected: string[][]) {
  const before = { rows: await rowCounts(t), snapshot: await flowSnapshot(t, base.flowId) };
  const r = await run(t, query, variables, field);
  expect(r.__typename).toBe('ValidationError');
  expect(r.message).toEqual(expect.any(String));
  expect(paths(r)).toEqual(expected);
  for (const e of r.fieldErrors) expect(e.message).not.toBe('');
  expect({ rows: await rowCounts(t), snapshot: await flowSnapshot(t, base.flowId) }).toEqual(before);
}

describe('creating', () => {
  it.each(['', '   '])('createFlow with name %j', async (name) => {
    await expectRefused(CREATE_FLOW, { input: { name, type: 'CHATFLOW' } }, 'createFlow', [['input', 'name']]);
  });

  it('createChat with a flowId that is not a UUID, and with an empty title', async () => {
    await expectRefused(CREATE_CHAT, { input: { flowId: 'flow-1' } }, 'createChat', [['input', 'flowId']]);
    await expectRefused(CREATE_CHAT, { input: { flowId: base.flowId, title: '' } }, 'createChat', [['input', 'title']]);
  });

  it('createThread with a chatId that is not a UUID', async () => {
    await expectRefused(CREATE_THREAD, { input: { chatId: '' } }, 'createThread', [['input', 'chatId']]);
  });

  it('postMessage with empty content', async () => {
    const version = (await readThread(t, base.threadId)).version;
    await expectRefused(POST_MESSAGE, { input: { threadId: base.threadId, role: 'USER', content: '' } }, 'postMessage', [
      ['input', 'content'],
    ]);
    expect((await readThread(t, base.threadId)).version).toBe(version);
  });

  it('postMessage with content over 100000 characters', async () => {
    await expectRefused(
      POST_MESSAGE,
      { input: { threadId: base.threadId, role: 'USER', content: 'x'.repeat(100_001) } },
      'postMessage',
      [['input', 'content']],
    );
  });

  it('postMessage with exactly 100000 characters is accepted', async () => {
    const r = await run(t, POST_MESSAGE, { input: { threadId: base.threadId, role: 'USER', content: 'y'.repeat(100_000) } }, 'postMessage');
    expect(r.__typename).toBe('PostMessageSuccess');
    expect(r.posted.content).toHaveLength(100_000);
    expect((await readThread(t, base.threadId)).messageCount).toBe(3);
  });

  it('postMessage with a malformed createdAt', async () => {
    await expectRefused(
      POST_MESSAGE,
      { input: { threadId: base.threadId, role: 'USER', content: 'hi', createdAt: 'last tuesday' } },
      'postMessage',
      [['input', 'createdAt']],
    );
  });

  it('postMessage names every bad field at once', async () => {
    await expectRefused(POST_MESSAGE, { input: { threadId: 'nope', role: 'USER', content: '' } }, 'postMessage', [
      ['input', 'threadId'],
      ['input', 'content'],
    ]);
  });

  it('startStream with an empty or over-long prompt', async () => {
    await expectRefused(START_STREAM, { input: { threadId: base.threadId, prompt: '' } }, 'startStream', [['input', 'prompt']]);
    await expectRefused(START_STREAM, { input: { threadId: base.threadId, prompt: 'z'.repeat(100_001) } }, 'startStream', [
      ['input', 'prompt'],
    ]);
  });
});

describe('deleting', () => {
  it('each delete names its bad id and changes nothing', async () => {
    const before = { rows: await rowCounts(t), snapshot: await flowSnapshot(t, base.flowId) };
    for (const r of [
      await deleteChat(t, { id: 'chat-1' }),
      await deleteChat(t, { id: '', expectedVersion: 1, force: true }),
      await deleteThread(t, { id: 'thread-1', permanent: true }),
      await deleteStream(t, { id: 'stream-1' }),
    ]) {
      expect(r.__typename).toBe('ValidationError');
      expect(paths(r)).toEqual([['id']]);
    }
    const m = await deleteMessages(t, { flowId: 'flow-1' });
    expect(paths(m)).toEqual([['flowId']]);
    expect({ rows: await rowCounts(t), snapshot: await flowSnapshot(t, base.flowId) }).toEqual(before);
  });

  it.each([
    [{ chatId: 'chat-1' }, ['filter', 'chatId']],
    [{ threadId: '' }, ['filter', 'threadId']],
    [{ sessionId: '' }, ['filter', 'sessionId']],
    [{ memoryType: '' }, ['filter', 'memoryType']],
    [{ chatTypes: [] }, ['filter', 'chatTypes']],
    [{ feedbackTypes: [] }, ['filter', 'feedbackTypes']],
    [{ startDate: 'not a date' }, ['filter', 'startDate']],
    [{ endDate: '2024-02-30T00:00:00Z' }, ['filter', 'endDate']],
  ])('deleteMessages with filter %j names %j and deletes nothing', async (filter, path) => {
    const before = { rows: await rowCounts(t), snapshot: await flowSnapshot(t, base.flowId) };
    for (const hardDelete of [false, true]) {
      const r = await deleteMessages(t, { flowId: base.flowId, filter, hardDelete });
      expect(r.__typename).toBe('ValidationError');
      expect(paths(r)).toEqual([path]);
    }
    expect({ rows: await rowCounts(t), snapshot: await flowSnapshot(t, base.flowId) }).toEqual(before);
  });

  it('deleteMessages names every bad field at once', async () => {
    const r = await deleteMessages(t, { flowId: 'nope', filter: { chatId: 'x', startDate: 'soon' } });
    expect(r.__typename).toBe('ValidationError');
    expect(paths(r)).toEqual(expect.arrayContaining([['flowId'], ['filter', 'chatId'], ['filter', 'startDate']]));
    expect(paths(r)).toHaveLength(3);
  });
});
