import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import {
  DELETE_CHAT,
  DELETE_MESSAGES,
  DELETE_STREAM,
  DELETE_THREAD,
  auditEntries,
  run,
  startStream,
  waitForStatus,
} from './documents.ts';

// docs/design.md#repeats-and-idempotency-key: a second delete of the same resource answers
// NotFoundError. A client that sends an Idempotency-Key header gets the first answer
// again on a retry instead.

let t: TestApp;
let ids: { flowId: string; chatId: string; threadId: string; streamId: string };
beforeEach(async () => {
  t = await startTestApp();
  const base = await chatWithMessages(t, 3);
  const { streamId } = await startStream(t, base.threadId, 'one two');
  await waitForStatus(t, streamId, 'COMPLETED');
  ids = { ...base, streamId };
});
afterEach(async () => t.close());

const deletes: { name: string; query: string; field: string; action: string; vars: () => Record<string, unknown>; gone: string }[] = [
  { name: 'deleteChat', query: DELETE_CHAT, field: 'deleteChat', action: 'chat.delete', vars: () => ({ id: ids.chatId }), gone: 'NotFoundError' },
  { name: 'deleteThread', query: DELETE_THREAD, field: 'deleteThread', action: 'thread.delete', vars: () => ({ id: ids.threadId }), gone: 'NotFoundError' },
  { name: 'deleteThread (permanent)', query: DELETE_THREAD, field: 'deleteThread', action: 'thread.delete', vars: () => ({ id: ids.threadId, permanent: true }), gone: 'NotFoundError' },
  { name: 'deleteStream', query: DELETE_STREAM, field: 'deleteStream', action: 'stream.delete', vars: () => ({ id: ids.streamId }), gone: 'NotFoundError' },
];

const withKey = (key: string, tenantKey?: string) => ({ headers: { 'Idempotency-Key': key }, key: tenantKey });

describe('without an Idempotency-Key', () => {
  it.each(deletes)('$name a second time answers $gone', async ({ query, field, vars, gone, action }) => {
    expect((await run(t, query, vars(), field)).__typename).toMatch(/Success$/);
    expect((await run(t, query, vars(), field)).__typename).toBe(gone);
    expect((await auditEntries(t)).filter((e) => e.action === action)).toHaveLength(1);
  });
});

describe('with an Idempotency-Key', () => {
  it.each(deletes)('$name retried with the same key answers the first answer again, and acts once', async ({ query, field, vars, action }) => {
    const key = randomUUID();
    const first = await run(t, query, vars(), field, withKey(key));
    expect(first.__typename).toMatch(/Success$/);
    const retry = await run(t, query, vars(), field, withKey(key));
    expect(retry).toEqual(first);
    expect((await auditEntries(t)).filter((e) => e.action === action)).toHaveLength(1);
  });

  it.each(deletes)('$name with another key, or none, is a new request: NotFoundError', async ({ query, field, vars }) => {
    await run(t, query, vars(), field, withKey(randomUUID()));
    expect((await run(t, query, vars(), field, withKey(randomUUID()))).__typename).toBe('NotFoundError');
    expect((await run(t, query, vars(), field)).__typename).toBe('NotFoundError');
  });

  it('deleteMessages retried with the same key answers the same affected count', async () => {
    const key = randomUUID();
    const vars = { flowId: ids.flowId, filter: { threadId: ids.threadId } };
    const first = await run(t, DELETE_MESSAGES, vars, 'deleteMessages', withKey(key));
    expect(first).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 5 });
    expect(await run(t, DELETE_MESSAGES, vars, 'deleteMessages', withKey(key))).toEqual(first);
    expect((await auditEntries(t)).filter((e) => e.action === 'messages.delete')).toHaveLength(1);
    // Without the key it is a new delete, which finds nothing left.
    expect(await run(t, DELETE_MESSAGES, vars, 'deleteMessages')).toMatchObject({ affected: 0 });
  });

  it("another tenant sending the same key does not get the first tenant's answer", async () => {
    const key = randomUUID();
    const first = await run(t, DELETE_CHAT, { id: ids.chatId }, 'deleteChat', withKey(key));
    expect(first.__typename).toBe('DeleteChatSuccess');
    const asB = await run(t, DELETE_CHAT, { id: ids.chatId }, 'deleteChat', withKey(key, t.keys.b));
    expect(asB).toMatchObject({ __typename: 'NotFoundError', resourceType: 'CHAT', id: ids.chatId });
  });
});
