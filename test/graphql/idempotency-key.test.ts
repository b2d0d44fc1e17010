import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { findTenantByName } from '../../src/data/tenants.repository.ts';
import { claimIdempotencyKey } from '../../src/domain/idempotency.ts';
import { fingerprintOf } from '../../src/http/idempotency.ts';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';

const DELETE_CHAT = `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { chatId deletedAt } } }`;

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

const rest = (path: string, key: string, idempotencyKey: string) =>
  t.app.gateway.fetch(`http://gateway.test${path}`, {
    method: 'DELETE',
    headers: { 'x-api-key': key, 'idempotency-key': idempotencyKey },
  });

it('refuses the same key for a different request with 422 IDEMPOTENCY_KEY_REUSED, changing nothing', async () => {
  const one = await chatWithMessages(t, 1);
  const two = await chatWithMessages(t, 1);
  const key = randomUUID();
  const first = await t.gql(DELETE_CHAT, { id: one.chatId }, { headers: { 'Idempotency-Key': key } });
  expect(first.body.data.deleteChat.__typename).toBe('DeleteChatSuccess');
  const other = await t.gql(DELETE_CHAT, { id: two.chatId }, { headers: { 'Idempotency-Key': key } });
  expect(other.status).toBe(422);
  expect(other.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
  const still = await t.gql(`query($id: ID!) { chat(id: $id) { id } }`, { id: two.chatId });
  expect(still.body.data.chat).toEqual({ id: two.chatId });
});

it('replays a REST delete: the retry gets the first 200 body again, marked Idempotent-Replayed', async () => {
  const { chatId } = await chatWithMessages(t, 1);
  const key = randomUUID();
  const first = await rest(`/api/v1/chats/${chatId}`, t.keys.a, key);
  const firstBody = await first.json();
  expect(first.status).toBe(200);
  const retry = await rest(`/api/v1/chats/${chatId}`, t.keys.a, key);
  expect(retry.status).toBe(200);
  expect(retry.headers.get('idempotent-replayed')).toBe('true');
  expect(await retry.json()).toEqual(firstBody);
});

it('replays a 204 without a body', async () => {
  const { threadId } = await chatWithMessages(t, 0);
  const started = await t.gql(
    `mutation($t: ID!) { startStream(input: { threadId: $t, prompt: "hi there" }) { ... on StartStreamSuccess { stream { id } } } }`,
    { t: threadId },
  );
  const streamId = started.body.data.startStream.stream.id;
  const key = randomUUID();
  const first = await rest(`/v1/messages/async/${streamId}/delete`, t.keys.a, key);
  expect(first.status).toBe(204);
  const retry = await rest(`/v1/messages/async/${streamId}/delete`, t.keys.a, key);
  expect(retry.status).toBe(204);
  expect(await retry.text()).toBe('');
});

it('forgets a key after its time: the request then runs afresh', async () => {
  const { chatId } = await chatWithMessages(t, 1);
  const key = randomUUID();
  const headers = { 'Idempotency-Key': key };
  expect((await t.gql(DELETE_CHAT, { id: chatId }, { headers })).body.data.deleteChat.__typename).toBe('DeleteChatSuccess');
  t.clock.advance(25 * 3_600_000);
  expect((await t.gql(DELETE_CHAT, { id: chatId }, { headers })).body.data.deleteChat.__typename).toBe('NotFoundError');
});

it('rejects a malformed key with 400 before doing anything', async () => {
  const { chatId } = await chatWithMessages(t, 1);
  const r = await t.gql(DELETE_CHAT, { id: chatId }, { headers: { 'Idempotency-Key': 'x'.repeat(300) } });
  expect(r.status).toBe(400);
  expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_IDEMPOTENCY_KEY');
  const still = await t.gql(`query($id: ID!) { chat(id: $id) { id } }`, { id: chatId });
  expect(still.body.data.chat).toEqual({ id: chatId });
});

it('a key whose request died unanswered is taken over by its retry once the lease has passed, and not before', async () => {
  const { chatId } = await chatWithMessages(t, 1);
  const key = randomUUID();
  // The first request claimed the key, then its process died (kill -9) before it answered.
  const tenant = await findTenantByName(t.app.deps.store.db, 'tenant-a');
  const body = JSON.stringify({ query: DELETE_CHAT, variables: { id: chatId } });
  await claimIdempotencyKey(t.app.deps, { tenantId: tenant!.id, requestId: 'a request that died' }, key, fingerprintOf('POST', '/graphql', body));
  const retry = () => t.gql(DELETE_CHAT, { id: chatId }, { headers: { 'Idempotency-Key': key } });

  t.clock.advance(t.app.deps.settings.idempotencyLeaseMs - 1000);
  const early = await retry();
  expect({ status: early.status, code: early.body.errors?.[0]?.extensions?.code }).toEqual({ status: 409, code: 'IDEMPOTENCY_KEY_IN_PROGRESS' });

  t.clock.advance(2000);
  const late = await retry();
  expect(late.body.data.deleteChat).toMatchObject({ __typename: 'DeleteChatSuccess', chatId });
  const replayed = await retry();
  expect(replayed.headers.get('idempotent-replayed')).toBe('true');
  expect(replayed.body).toEqual(late.body);
});
