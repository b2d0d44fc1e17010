import { afterEach, beforeEach, expect, it } from 'vitest';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { startStream, waitForStatus } from '../graphql/documents.ts';
import { everyRowCount, hold, release } from './holds.ts';

// Every REST delete route runs the same domain delete, so a legal hold refuses it too:
// 409 in the shape of the route's family (docs/rest.md#error-shapes), nothing changed.

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

async function send(method: string, path: string) {
  const r = await t.app.gateway.fetch(`http://gateway.test${path}`, { method, headers: { 'x-api-key': t.keys.a } });
  const text = await r.text();
  return { status: r.status, body: text === '' ? undefined : JSON.parse(text) };
}

it('each REST delete route answers 409 in its family\'s shape while a hold covers its target, and works once released', async () => {
  const flowId = await createFlow(t, 'F');
  const chatId = await createChat(t, flowId, 'C');
  const threadId = await createThread(t, chatId, 'T');
  await postMessage(t, threadId, { sessionId: 'subject-1' });
  const { streamId } = await startStream(t, threadId, 'two words');
  await waitForStatus(t, streamId, 'COMPLETED');
  const id = await hold(t, 'CHAT', chatId);
  const before = await everyRowCount(t);
  const fastApi = { detail: expect.stringContaining(id), reason: 'LEGAL_HOLD', hold_ids: [id] };

  expect(await send('DELETE', `/api/v1/chats/${chatId}`)).toEqual({ status: 409, body: fastApi });
  expect(await send('DELETE', `/api/v1/chats/${chatId}?force=true`)).toEqual({ status: 409, body: fastApi });
  expect(await send('DELETE', `/api/chat/threads/${threadId}?permanent=true`)).toEqual({ status: 409, body: fastApi });
  expect(await send('DELETE', `/v1/messages/async/${streamId}/delete`)).toEqual({ status: 409, body: fastApi });
  expect(await send('DELETE', `/api/v1/chatmessage/${flowId}?hardDelete=true`)).toEqual({
    status: 409,
    body: { statusCode: 409, success: false, message: expect.stringContaining(id) },
  });
  expect(await send('DELETE', `/threads/${threadId}?api-version=v1&permanent=true`)).toEqual({
    status: 409,
    body: { error: { code: 'legal_hold', message: expect.stringContaining(id), param: null, type: 'invalid_request_error' } },
  });
  expect(await everyRowCount(t)).toEqual(before);

  await release(t, id);
  expect((await send('DELETE', `/v1/messages/async/${streamId}/delete`)).status).toBe(204);
  // The posted message, the stream's prompt and its reply.
  expect(await send('DELETE', `/api/v1/chatmessage/${flowId}`)).toEqual({ status: 200, body: { affected: 3, raw: [] } });
  expect((await send('DELETE', `/threads/${threadId}?api-version=v1&permanent=true`)).body).toEqual({ id: threadId, deleted: true, object: 'thread.deleted' });
  expect((await send('DELETE', `/api/v1/chats/${chatId}`)).status).toBe(200);
});

it('a soft delete over REST is allowed under a hold', async () => {
  const flowId = await createFlow(t, 'F');
  const threadId = await createThread(t, await createChat(t, flowId, 'C'), 'T');
  await postMessage(t, threadId, { sessionId: 'subject-1' });
  await hold(t, 'SESSION', 'subject-1');
  expect((await send('DELETE', `/api/chat/threads/${threadId}`)).body).toMatchObject({ status: 'success', softDelete: true });
});
