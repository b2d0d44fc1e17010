import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ERASE_INLINE_LIMIT } from '../../src/domain/erasure-jobs.ts';
import { claimIdempotencyKey, completeIdempotencyKey } from '../../src/domain/idempotency.ts';
import { findTenantByName } from '../../src/data/tenants.repository.ts';
import { fingerprintOf } from '../../src/http/idempotency.ts';
import { purgeExpiredThreads } from '../../src/domain/purge.ts';
import { createChat, createFlow, createThread, insertMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { deleteChat, deleteMessages, deleteStream, deleteThread, startStream, waitForStatus, waitUntil } from './documents.ts';

// An answer stored for an Idempotency-Key is one more copy of what it showed. A permanent
// delete redacts every stored answer of its tenant, in its own transaction; a retry then
// answers 410 IDEMPOTENT_ANSWER_ERASED without running the request again, and the text
// is in neither the rows nor (SQLite) the bytes of the .db and -wal files.

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

const secret = () => `SECRET-${randomUUID()}`;

const POST_MESSAGE = /* GraphQL */ `
  mutation($input: PostMessageInput!) {
    postMessage(input: $input) { __typename ... on PostMessageSuccess { message { id content } } }
  }
`;

/** postMessage with an Idempotency-Key, selecting the content; the raw answer. */
async function postWithKey(threadId: string, content: string, key: string) {
  const r = await t.gql(POST_MESSAGE, { input: { threadId, role: 'USER', content } }, { headers: { 'Idempotency-Key': key } });
  return { ...r, text: JSON.stringify(r.body) };
}

async function thread() {
  const flowId = await createFlow(t, 'Flow');
  const chatId = await createChat(t, flowId, 'Chat');
  const threadId = await createThread(t, chatId, 'Thread');
  return { flowId, chatId, threadId };
}

/** Every file of the SQLite database holding the marker's bytes now. */
function filesHolding(marker: string): string[] {
  const needle = Buffer.from(marker, 'utf8');
  return [t.dbPath, `${t.dbPath}-wal`, `${t.dbPath}-shm`].filter((f) => existsSync(f) && readFileSync(f).includes(needle));
}

/** Neither the stored rows nor, on SQLite, the files hold the marker once the delete has answered. */
async function expectErased(marker: string) {
  const rows = await t.app.deps.store.db.selectFrom('idempotency_keys').selectAll().execute();
  expect(JSON.stringify(rows)).not.toContain(marker);
  if (t.engine !== 'sqlite') return;
  await waitUntil(async () => filesHolding(marker), (files) => files.length === 0, `${marker} to be erased from disk`, 5000);
}

function expectOnDiskBefore(marker: string) {
  if (t.engine === 'sqlite') expect(filesHolding(marker)).not.toEqual([]);
}

/** The retry of a request whose stored answer was redacted. */
function expectErasedAnswer(r: { status: number; body: any; text: string }, marker: string) {
  expect(r.status).toBe(410);
  expect(r.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENT_ANSWER_ERASED');
  expect(r.text).not.toContain(marker);
}

const messageCount = async (threadId: string) =>
  Number(
    (
      await t.app.deps.store.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('thread_id', '=', threadId)
        .executeTakeFirstOrThrow()
    ).n,
  );


it('replays a stored answer in full while nothing has been erased', async () => {
  const { threadId } = await thread();
  const marker = secret();
  const key = randomUUID();
  const first = await postWithKey(threadId, marker, key);
  expect(first.body.data.postMessage.message.content).toBe(marker);
  const retry = await postWithKey(threadId, marker, key);
  expect(retry.status).toBe(200);
  expect(retry.headers.get('idempotent-replayed')).toBe('true');
  expect(retry.body).toEqual(first.body);
  expect(await messageCount(threadId)).toBe(1);
});

it('deleteChat redacts the stored answer: the retry answers 410 and posts nothing, the text is gone from the files', async () => {
  const { chatId, threadId } = await thread();
  const marker = secret();
  const key = randomUUID();
  expect((await postWithKey(threadId, marker, key)).body.data.postMessage.message.content).toBe(marker);
  expectOnDiskBefore(marker);

  expect((await deleteChat(t, { id: chatId })).__typename).toBe('DeleteChatSuccess');
  await expectErased(marker);
  const retry = await postWithKey(threadId, marker, key);
  expectErasedAnswer(retry, marker);
  expect(retry.headers.get('idempotent-replayed')).toBeNull();
  expect(await messageCount(threadId)).toBe(0);
});

it('a REST delete answer that named a thread is redacted by the permanent delete of that thread', async () => {
  const { chatId } = await thread();
  const title = secret();
  const threadId = await createThread(t, chatId, title);
  const key = randomUUID();
  const softDelete = () =>
    t.app.gateway.fetch(`http://gateway.test/api/chat/threads/${threadId}`, {
      method: 'DELETE',
      headers: { 'x-api-key': t.keys.a, 'idempotency-key': key },
    });
  const first = await softDelete();
  expect(first.status).toBe(200);
  expect((await first.json()).threadTitle).toBe(title);
  expectOnDiskBefore(title);

  const permanent = await t.app.gateway.fetch(`http://gateway.test/api/chat/threads/${threadId}?permanent=true`, {
    method: 'DELETE',
    headers: { 'x-api-key': t.keys.a },
  });
  expect(permanent.status).toBe(200);
  await expectErased(title);
  const retry = await softDelete();
  expect(retry.status).toBe(410);
  expect(await retry.text()).not.toContain(title);
});

it('deleteThread with permanent: true redacts', async () => {
  const { threadId } = await thread();
  const marker = secret();
  const key = randomUUID();
  await postWithKey(threadId, marker, key);
  expect((await deleteThread(t, { id: threadId, permanent: true })).__typename).toBe('DeleteThreadSuccess');
  await expectErased(marker);
  expectErasedAnswer(await postWithKey(threadId, marker, key), marker);
});

it('a soft deleteThread keeps the stored answer: it can be restored, so the retry still replays it', async () => {
  const { threadId } = await thread();
  const marker = secret();
  const key = randomUUID();
  const first = await postWithKey(threadId, marker, key);
  expect((await deleteThread(t, { id: threadId })).__typename).toBe('DeleteThreadSuccess');
  const retry = await postWithKey(threadId, marker, key);
  expect(retry.status).toBe(200);
  expect(retry.headers.get('idempotent-replayed')).toBe('true');
  expect(retry.body).toEqual(first.body);
});

it('deleteMessages redacts', async () => {
  const { flowId, threadId } = await thread();
  const marker = secret();
  const key = randomUUID();
  await postWithKey(threadId, marker, key);
  expect(await deleteMessages(t, { flowId, filter: { threadId } })).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 1 });
  await expectErased(marker);
  expectErasedAnswer(await postWithKey(threadId, marker, key), marker);
});

it('deleteMessages through the erasure queue redacts as the queue finishes', async () => {
  const { flowId, threadId } = await thread();
  await insertMessages(t, threadId, ERASE_INLINE_LIMIT + 1, { createdAt: (i) => new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString() });
  const marker = secret();
  const key = randomUUID();
  await postWithKey(threadId, marker, key);
  const r = await deleteMessages(t, { flowId, filter: { threadId } });
  expect(r).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: ERASE_INLINE_LIMIT + 2 });
  await expectErased(marker);
  expectErasedAnswer(await postWithKey(threadId, marker, key), marker);
});

it('deleteChat through the erasure queue redacts in the transaction that hides the chat', async () => {
  const { chatId, threadId } = await thread();
  await insertMessages(t, threadId, ERASE_INLINE_LIMIT + 1, { createdAt: (i) => new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString() });
  const marker = secret();
  const key = randomUUID();
  await postWithKey(threadId, marker, key);
  const r = await deleteChat(t, { id: chatId });
  expect(r.__typename).toBe('DeleteChatSuccess');
  // Redacted when the delete answers, before the queue has erased the rows.
  const rows = await t.app.deps.store.db.selectFrom('idempotency_keys').select('body').execute();
  expect(JSON.stringify(rows)).not.toContain(marker);
  expectErasedAnswer(await postWithKey(threadId, marker, key), marker);
  await expectErased(marker);
});

it('deleteStream redacts: its events carried generated text', async () => {
  const { threadId } = await thread();
  const { streamId } = await startStream(t, threadId, 'say something');
  await waitForStatus(t, streamId, 'COMPLETED');
  const marker = secret();
  const key = randomUUID();
  await postWithKey(threadId, marker, key);
  expect((await deleteStream(t, { id: streamId })).__typename).toBe('DeleteStreamSuccess');
  expect(JSON.stringify(await t.app.deps.store.db.selectFrom('idempotency_keys').select('body').execute())).not.toContain(marker);
  expectErasedAnswer(await postWithKey(threadId, marker, key), marker);
});

it('the purge of an expired soft-deleted thread redacts', async () => {
  // A restore window shorter than a key's life (THREAD_RESTORE_DAYS below a day), so the
  // retry can still reach the stored answer when the purge comes.
  t.app.deps.settings.restoreWindowMs = 3_600_000;
  const { threadId } = await thread();
  const marker = secret();
  const key = randomUUID();
  await postWithKey(threadId, marker, key);
  await deleteThread(t, { id: threadId });
  t.clock.advance(2 * 3_600_000);
  expect((await purgeExpiredThreads(t.app.deps)).purged).toBe(1);
  await expectErased(marker);
  expectErasedAnswer(await postWithKey(threadId, marker, key), marker);
});

it("another tenant's stored answers are left alone", async () => {
  const flowB = await createFlow(t, 'Flow B', t.keys.b);
  const chatB = await createChat(t, flowB, 'Chat B', t.keys.b);
  const threadB = await createThread(t, chatB, 'Thread B', t.keys.b);
  const key = randomUUID();
  const post = () =>
    t.gql(POST_MESSAGE, { input: { threadId: threadB, role: 'USER', content: 'tenant b text' } }, { key: t.keys.b, headers: { 'Idempotency-Key': key } });
  const first = await post();
  const { chatId } = await thread();
  expect((await deleteChat(t, { id: chatId })).__typename).toBe('DeleteChatSuccess');
  const retry = await post();
  expect(retry.status).toBe(200);
  expect(retry.body).toEqual(first.body);
});

it('a delete that erases nothing redacts nothing', async () => {
  const { chatId, threadId } = await thread();
  const marker = secret();
  const key = randomUUID();
  const first = await postWithKey(threadId, marker, key);
  expect((await deleteChat(t, { id: chatId, expectedVersion: 999 })).__typename).toBe('ConflictError');
  const retry = await postWithKey(threadId, marker, key);
  expect(retry.status).toBe(200);
  expect(retry.body).toEqual(first.body);
});

it('a request still running when an erasure commits has its answer stored without the body', async () => {
  const { chatId, threadId } = await thread();
  const marker = secret();
  const key = randomUUID();
  // Another request of the tenant claimed its key and read the chat, but has not answered yet.
  const tenant = await findTenantByName(t.app.deps.store.db, 'tenant-a');
  const body = JSON.stringify({ query: POST_MESSAGE, variables: { input: { threadId, role: 'USER', content: marker } } });
  const running = { tenantId: tenant!.id, requestId: 'a request still running' };
  expect(await claimIdempotencyKey(t.app.deps, running, key, fingerprintOf('POST', '/graphql', body))).toEqual({ kind: 'run' });

  expect((await deleteChat(t, { id: chatId })).__typename).toBe('DeleteChatSuccess');
  const answer = JSON.stringify({ data: { postMessage: { __typename: 'PostMessageSuccess', message: { id: randomUUID(), content: marker } } } });
  await completeIdempotencyKey(t.app.deps, running.tenantId, key, { status: 200, contentType: 'application/json', body: answer });
  await expectErased(marker);
  expectErasedAnswer(await postWithKey(threadId, marker, key), marker);
});

it("the permanent delete's own answer is kept for its retry, without the title it erased", async () => {
  const { chatId } = await thread();
  const title = secret();
  const threadId = await createThread(t, chatId, title);
  const key = randomUUID();
  const erase = () =>
    t.app.gateway.fetch(`http://gateway.test/api/chat/threads/${threadId}?permanent=true`, {
      method: 'DELETE',
      headers: { 'x-api-key': t.keys.a, 'idempotency-key': key },
    });
  const first = await erase();
  const answer = await first.text();
  expect(first.status).toBe(200);
  expect(JSON.parse(answer)).toMatchObject({ threadId, permanentDelete: true });
  expect(answer).not.toContain(title);
  await expectErased(title);
  const retry = await erase();
  expect(retry.status).toBe(200);
  expect(retry.headers.get('idempotent-replayed')).toBe('true');
  expect(await retry.text()).toBe(answer);
  const graphql = await deleteThread(t, { id: await createThread(t, chatId, title), permanent: true });
  expect(graphql).toMatchObject({ __typename: 'DeleteThreadSuccess', permanentDelete: true, threadTitle: null });
});

it('a document that reads content and then erases it keeps no copy of it in its own stored answer', async () => {
  const { chatId, threadId } = await thread();
  const marker = secret();
  const key = randomUUID();
  const both = /* GraphQL */ `
    mutation($input: PostMessageInput!, $chatId: ID!) {
      posted: postMessage(input: $input) { ... on PostMessageSuccess { message { content } } }
      erased: deleteChat(id: $chatId) { __typename }
    }
  `;
  const send = () => t.gql(both, { input: { threadId, role: 'USER', content: marker }, chatId }, { headers: { 'Idempotency-Key': key } });
  const first = await send();
  expect(first.body.data).toEqual({ posted: { message: { content: marker } }, erased: { __typename: 'DeleteChatSuccess' } });
  await expectErased(marker);
  const retry = await send();
  expectErasedAnswer({ ...retry, text: JSON.stringify(retry.body) }, marker);
});
