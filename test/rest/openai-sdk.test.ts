import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/domain/api-keys.ts';
import { chatWithMessages, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import { gqlData, lastAudit, rest, rowCounts } from './rest-helpers.ts';

// OpenAI's own SDK (the `openai` package) against the gateway, as its users call it: a
// baseURL and a gateway API key. Conversations are our threads, items their messages
// (docs/rest.md#openai-routes), so what the SDK deletes is gone from GraphQL too, and
// the other way round.

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

/** A client of tenant A (or of `apiKey`); no retries unless asked, so a failure is one request. */
function client(apiKey = t.keys.a, options: { maxRetries?: number; fetch?: typeof fetch } = {}) {
  return new OpenAI({ baseURL: t.url, apiKey, maxRetries: options.maxRetries ?? 0, fetch: options.fetch });
}

/** The error the SDK threw, to look at its class, status and body. */
async function failure(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  return error as InstanceType<typeof OpenAI.APIError>;
}

const THREAD_QUERY = `query($id: ID!) { thread(id: $id) { id metadata chat { id flow { name } } messages { edges { node { id role content } } } } }`;
const graphqlThread = async (id: string, key = t.keys.a) => (await gqlData(t, THREAD_QUERY, { id }, key)).thread;

/** Every item we answer is a message, which always has an id. */
const idOf = (item: OpenAI.Conversations.ConversationItem | undefined): string => item!.id!;

const notFound = (noun: string, id: string) => ({ message: `No ${noun} found with id '${id}'.`, type: 'invalid_request_error', param: null, code: null });

describe('OpenAI SDK: beta.threads', () => {
  it('retrieves a thread made through GraphQL as an OpenAI thread object, and deletes it: gone from GraphQL too', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 2);
    const openai = client();
    const thread = await openai.beta.threads.retrieve(threadId);
    expect(thread).toEqual({ id: threadId, object: 'thread', created_at: expect.any(Number), metadata: {}, tool_resources: {} });
    expect(thread.created_at).toBe(Math.floor(Date.parse('2026-01-15T10:00:00.000Z') / 1000));

    expect(await openai.beta.threads.delete(threadId)).toEqual({ id: threadId, object: 'thread.deleted', deleted: true });
    expect(await graphqlThread(threadId)).toBeNull();
    const audit = await lastAudit(t);
    expect({ action: audit?.action, target: audit?.target_id, actor: audit?.actor }).toEqual({ action: 'thread.delete', target: threadId, actor: 'key-a' });

    const again = await failure(openai.beta.threads.retrieve(threadId));
    expect(again).toBeInstanceOf(OpenAI.NotFoundError);
    expect(again.status).toBe(404);
    expect(again.error).toEqual(notFound('thread', threadId));
    expect(again.message).toBe(`404 No thread found with id '${threadId}'.`);
    expect(await failure(openai.beta.threads.delete(threadId))).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('permanent=true erases the thread and its messages at once', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 2);
    const before = await rowCounts(t);
    await client().beta.threads.delete(threadId, { query: { permanent: true } });
    expect(await rowCounts(t)).toEqual({ ...before, threads: before.threads - 1, messages: before.messages - 2, audit_log: before.audit_log + 1 });
  });

  it('deletes one message of a thread (thread.message.deleted): GraphQL no longer lists it, the others stay', async () => {
    t = await startTestServer();
    const { threadId, messageIds } = await chatWithMessages(t, 3);
    const openai = client();
    expect(await openai.beta.threads.messages.delete(messageIds[1]!, { thread_id: threadId })).toEqual({
      id: messageIds[1],
      object: 'thread.message.deleted',
      deleted: true,
    });
    const left = (await graphqlThread(threadId)).messages.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(left).toEqual([messageIds[0], messageIds[2]]);
    const audit = await lastAudit(t);
    expect(audit?.action).toBe('messages.delete');
    expect(JSON.parse(audit!.details!)).toMatchObject({ affected: 1, filter: { threadId, messageId: messageIds[1] } });

    const again = await failure(openai.beta.threads.messages.delete(messageIds[1]!, { thread_id: threadId }));
    expect(again).toBeInstanceOf(OpenAI.NotFoundError);
    expect(again.error).toEqual(notFound('message', messageIds[1]!));
    // A message of another thread is not this thread's.
    const other = await chatWithMessages(t, 1);
    expect((await failure(openai.beta.threads.messages.delete(other.messageIds[0]!, { thread_id: threadId }))).status).toBe(404);
    expect((await graphqlThread(other.threadId)).messages.edges).toHaveLength(1);
  });

  it('a thread deleted through GraphQL is NotFound for the SDK', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    await gqlData(t, `mutation($id: ID!) { deleteThread(id: $id) { __typename } }`, { id: threadId });
    expect(await failure(client().beta.threads.retrieve(threadId))).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('api-version picks the family: none is OpenAI, v1 is Azure (AgentV1Error), any other is refused', async () => {
    t = await startTestServer();
    const missing = randomUUID();
    const openAi = await rest(t, 'GET', `/threads/${missing}`, { bearer: t.keys.a, headers: { 'OpenAI-Beta': 'assistants=v2' } });
    expect({ status: openAi.status, body: openAi.body }).toEqual({ status: 404, body: { error: notFound('thread', missing) } });
    const azure = await rest(t, 'GET', `/threads/${missing}?api-version=v1`, { bearer: t.keys.a });
    expect(azure.body.error).toMatchObject({ code: 'not_found', param: 'threadId' });
    const { threadId } = await chatWithMessages(t, 1);
    const azureMessage = await rest(t, 'DELETE', `/threads/${threadId}/messages/${missing}?api-version=v1`, { bearer: t.keys.a });
    expect({ status: azureMessage.status, body: azureMessage.body }).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: `No message found with id '${missing}'.`, param: 'messageId', type: 'invalid_request_error' } },
    });
    const other = await rest(t, 'DELETE', `/threads/${missing}?api-version=2024-01-01`, { bearer: t.keys.a });
    expect({ status: other.status, code: other.body.error.code }).toEqual({ status: 400, code: 'unsupported_api_version' });
  });
});

describe('OpenAI SDK: conversations', () => {
  it('creates a conversation with items and metadata: a thread of its own chat in the OpenAI flow, seen by GraphQL', async () => {
    t = await startTestServer();
    const openai = client();
    const conversation = await openai.conversations.create({
      metadata: { topic: 'billing', user: 'u-1' },
      items: [
        { type: 'message', role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Hello' }] },
        // An assistant's output replayed as OpenAI answered it: its id is OpenAI's, ours is new.
        { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hi there', annotations: [] }] },
      ],
    });
    expect(conversation).toEqual({ id: expect.any(String), object: 'conversation', created_at: expect.any(Number), metadata: { topic: 'billing', user: 'u-1' } });
    expect(await openai.conversations.retrieve(conversation.id)).toEqual(conversation);

    const thread = await graphqlThread(conversation.id);
    expect(thread.metadata).toEqual({ topic: 'billing', user: 'u-1' });
    expect(thread.chat.flow.name).toBe('OpenAI conversations');
    expect(thread.messages.edges.map((e: { node: unknown }) => e.node)).toEqual([
      { id: expect.any(String), role: 'SYSTEM', content: 'Be brief.' },
      { id: expect.any(String), role: 'USER', content: 'Hello' },
      { id: expect.any(String), role: 'ASSISTANT', content: 'Hi there' },
    ]);

    // A second conversation: its own chat, the same flow (one per tenant).
    const second = await openai.conversations.create();
    expect(second.metadata).toEqual({});
    const secondThread = await graphqlThread(second.id);
    expect(secondThread.chat.id).not.toBe(thread.chat.id);
    const flows = await t.app.deps.store.db.selectFrom('flows').select('id').where('name', '=', 'OpenAI conversations').execute();
    expect(flows).toHaveLength(1);
  });

  it("a tenant's first conversations, created at once, share its one OpenAI flow", async () => {
    t = await startTestServer();
    const openai = client();
    const created = await Promise.all(Array.from({ length: 6 }, () => openai.conversations.create({ items: [{ role: 'user', content: 'hi' }] })));
    const flowIds = await Promise.all(
      created.map(async (c) => (await gqlData(t, `query($id: ID!) { thread(id: $id) { chat { flow { id } } } }`, { id: c.id })).thread.chat.flow.id),
    );
    expect(new Set(flowIds).size).toBe(1);
    const flows = await t.app.deps.store.db.selectFrom('flows').select('id').execute();
    expect(flows.map((f) => f.id)).toEqual([flowIds[0]]);
  });

  it('items: create answers a list, list is in order (desc by default) with limit/after paging, retrieve shows one', async () => {
    t = await startTestServer();
    const openai = client();
    const { id } = await openai.conversations.create({ items: [{ role: 'user', content: 'one' }] });
    const added = await openai.conversations.items.create(id, {
      items: [
        { role: 'assistant', content: 'two' },
        { role: 'user', content: [{ type: 'input_text', text: 'three' }, { type: 'input_text', text: 'more' }] },
      ],
    });
    expect(added.object).toBe('list');
    expect(added.data).toEqual([
      { type: 'message', id: expect.any(String), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'two', annotations: [] }] },
      { type: 'message', id: expect.any(String), status: 'completed', role: 'user', content: [{ type: 'input_text', text: 'three\nmore' }] },
    ]);
    expect({ first: added.first_id, last: added.last_id, more: added.has_more }).toEqual({ first: added.data[0]!.id, last: added.data[1]!.id, more: false });

    const text = (item: OpenAI.Conversations.ConversationItem) => (item.type === 'message' ? (item.content[0] as { text: string }).text : item.type);
    const desc = await openai.conversations.items.list(id);
    expect(desc.data.map(text)).toEqual(['three\nmore', 'two', 'one']);
    expect(desc.has_more).toBe(false);
    const firstPage = await openai.conversations.items.list(id, { order: 'asc', limit: 2 });
    expect(firstPage.data.map(text)).toEqual(['one', 'two']);
    expect(firstPage.has_more).toBe(true);
    expect(firstPage.hasNextPage()).toBe(true);
    const secondPage = await firstPage.getNextPage();
    expect(secondPage.data.map(text)).toEqual(['three\nmore']);
    expect(secondPage.has_more).toBe(false);
    const all: string[] = [];
    for await (const item of openai.conversations.items.list(id, { order: 'desc', limit: 1 })) all.push(text(item));
    expect(all).toEqual(['three\nmore', 'two', 'one']);

    const one = await openai.conversations.items.retrieve(idOf(added.data[0]), { conversation_id: id });
    expect(one).toEqual(added.data[0]);
  });

  it('items.delete erases the message (deleteMessages) and answers the conversation; GraphQL no longer has it', async () => {
    t = await startTestServer();
    const openai = client();
    const conversation = await openai.conversations.create({ metadata: { a: 'b' }, items: [{ role: 'user', content: 'keep' }, { role: 'user', content: 'secret' }] });
    const items = await openai.conversations.items.list(conversation.id, { order: 'asc' });
    const secret = idOf(items.data[1]);
    expect(await openai.conversations.items.delete(secret, { conversation_id: conversation.id })).toEqual(conversation);
    const messages = (await graphqlThread(conversation.id)).messages.edges.map((e: { node: { content: string } }) => e.node.content);
    expect(messages).toEqual(['keep']);
    const stored = await t.app.deps.store.db.selectFrom('messages').select('id').where('id', '=', secret).execute();
    expect(stored).toEqual([]);
    expect((await lastAudit(t))?.action).toBe('messages.delete');

    const again = await failure(openai.conversations.items.retrieve(secret, { conversation_id: conversation.id }));
    expect(again).toBeInstanceOf(OpenAI.NotFoundError);
    expect(again.error).toEqual(notFound('item', secret));
    expect(await failure(openai.conversations.items.delete(secret, { conversation_id: conversation.id }))).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('conversations.delete deletes the thread (deleteThread): gone from GraphQL and from every SDK read', async () => {
    t = await startTestServer();
    const openai = client();
    const { id } = await openai.conversations.create({ items: [{ role: 'user', content: 'bye' }] });
    expect(await openai.conversations.delete(id)).toEqual({ id, object: 'conversation.deleted', deleted: true });
    expect(await graphqlThread(id)).toBeNull();
    expect((await lastAudit(t))?.action).toBe('thread.delete');
    const gone = await failure(openai.conversations.retrieve(id));
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    expect(gone.message).toBe(`404 No conversation found with id '${id}'.`);
    expect(await failure(openai.conversations.items.list(id))).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await failure(openai.conversations.delete(id))).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('what GraphQL deletes is NotFound for the SDK', async () => {
    t = await startTestServer();
    const openai = client();
    const { id } = await openai.conversations.create({ items: [{ role: 'user', content: 'x' }] });
    const [item] = (await openai.conversations.items.list(id)).data;
    const thread = await gqlData(t, `query($id: ID!) { thread(id: $id) { chat { flow { id } } } }`, { id });
    await gqlData(t, `mutation($f: ID!, $t: ID!) { deleteMessages(flowId: $f, filter: { threadId: $t }) { __typename } }`, { f: thread.thread.chat.flow.id, t: id });
    expect(await failure(openai.conversations.items.retrieve(idOf(item), { conversation_id: id }))).toBeInstanceOf(OpenAI.NotFoundError);
    await gqlData(t, `mutation($id: ID!) { deleteThread(id: $id, permanent: true) { __typename } }`, { id });
    expect(await failure(openai.conversations.retrieve(id))).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('a thread made through GraphQL is a conversation too; its messages are items', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    await postMessage(t, threadId, { role: 'ASSISTANT', content: 'answer' });
    const openai = client();
    expect((await openai.conversations.retrieve(threadId)).id).toBe(threadId);
    const items = await openai.conversations.items.list(threadId, { order: 'asc' });
    expect(items.data.map((i) => (i.type === 'message' ? i.role : i.type))).toEqual(['user', 'assistant']);
  });
});

describe('OpenAI SDK: errors', () => {
  it('AuthenticationError for a missing or unknown key; nothing is created', async () => {
    t = await startTestServer();
    const before = await rowCounts(t);
    const error = await failure(client('not-a-key').conversations.create());
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.status).toBe(401);
    expect(error.error).toEqual({ message: 'The API key is not valid', type: 'invalid_request_error', param: null, code: 'invalid_api_key' });
    const none = await rest(t, 'GET', `/conversations/${randomUUID()}`);
    expect({ status: none.status, code: none.body.error.code }).toEqual({ status: 401, code: 'invalid_api_key' });
    expect(await rowCounts(t)).toEqual(before);
  });

  it('BadRequestError naming the field: metadata over its limits, unsupported items, bad ids and list values; nothing changes', async () => {
    t = await startTestServer();
    const openai = client();
    const before = await rowCounts(t);
    const bad = async (call: Promise<unknown>, param: string, message: RegExp) => {
      const error = await failure(call);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.status).toBe(400);
      expect(error.error).toMatchObject({ type: 'invalid_request_error', param, code: 'invalid_value' });
      expect((error.error as { message: string }).message).toMatch(message);
    };
    const seventeen = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']));
    await bad(openai.conversations.create({ metadata: seventeen }), 'metadata', /^metadata must have at most 16 keys, has 17$/);
    await bad(openai.conversations.create({ metadata: { ['k'.repeat(65)]: 'v' } }), `metadata.${'k'.repeat(65)}`, /key must be at most 64 characters/);
    await bad(openai.conversations.create({ metadata: { k: 'v'.repeat(513) } }), 'metadata.k', /must be at most 512 characters/);
    await bad(openai.conversations.create({ metadata: { k: 1 as unknown as string } }), 'metadata.k', /must be a string/);
    await bad(
      openai.conversations.create({ items: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x.test/a.png', detail: 'auto' }] }] }),
      'items.0.content.0',
      /'input_image' is not supported/,
    );
    await bad(openai.conversations.create({ items: [{ type: 'function_call_output', call_id: 'c', output: 'x' }] }), 'items.0.type', /only 'message'/);
    await bad(openai.conversations.create({ items: [{ role: 'user', content: '' }] }), 'items.0.content', /must not be empty/);
    await bad(openai.conversations.create({ items: Array.from({ length: 21 }, () => ({ role: 'user' as const, content: 'x' })) }), 'items', /at most 20 items/);
    await bad(openai.conversations.retrieve('conv_123'), 'conversation_id', /must be a UUID/);
    const { id } = await openai.conversations.create();
    const created = await rowCounts(t);
    await bad(openai.conversations.items.create(id, { items: [] }), 'items', /must not be empty/);
    await bad(openai.conversations.items.list(id, { limit: 101 }), 'limit', /from 1 to 100/);
    await bad(openai.conversations.items.list(id, { after: randomUUID() }), 'after', /is not an item of conversation/);
    const malformed = await rest(t, 'POST', `/conversations/${id}/items`, { key: t.keys.a, headers: { 'content-type': 'application/json' } });
    expect({ status: malformed.status, param: malformed.body.error.param }).toEqual({ status: 400, param: 'items' });
    const notJson = await fetch(`${t.url}/conversations`, { method: 'POST', headers: { authorization: `Bearer ${t.keys.a}`, 'content-type': 'application/json' }, body: '{"items": [' });
    expect({ status: notJson.status, body: await notJson.json() }).toEqual({
      status: 400,
      body: { error: { message: 'body must be a JSON object', type: 'invalid_request_error', param: 'body', code: 'invalid_value' } },
    });
    expect(await rowCounts(t)).toEqual({ ...created, flows: before.flows + 1, chats: before.chats + 1, threads: before.threads + 1 });
  });

  it('PermissionDeniedError for a key without the permission; 405 for what is not served (a metadata update)', async () => {
    t = await startTestServer();
    const { id } = await client().conversations.create({ items: [{ role: 'user', content: 'x' }] });
    const reader = await createApiKey(t.app.deps.store.db, { tenant: 'tenant-a', name: 'reader', permissions: ['read'] }, t.clock.now().toISOString());
    const readOnly = client(reader.key);
    expect((await readOnly.conversations.retrieve(id)).id).toBe(id);
    const denied = await failure(readOnly.conversations.delete(id));
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(denied.error).toMatchObject({ type: 'invalid_request_error', code: 'insufficient_permissions' });
    expect(await graphqlThread(id)).not.toBeNull();
    const update = await failure(client().conversations.update(id, { metadata: { a: 'b' } }));
    expect(update.status).toBe(405);
    expect(update.headers?.get('allow')).toBe('GET, DELETE');
    expect(update.error).toMatchObject({ code: 'method_not_allowed', type: 'invalid_request_error' });
  });

  it('a legal hold refuses the deletes with 409 (legal_hold), told not to retry, and changes nothing; a soft delete still passes', async () => {
    t = await startTestServer();
    const calls: string[] = [];
    const counting: typeof fetch = (input, init) => {
      calls.push(`${init?.method ?? 'GET'} ${String(input)}`);
      return fetch(input, init);
    };
    // The SDK's default retries: the answer itself must stop them.
    const openai = client(t.keys.a, { maxRetries: 2, fetch: counting });
    const conversation = await openai.conversations.create({ items: [{ role: 'user', content: 'evidence' }] });
    const [item] = (await openai.conversations.items.list(conversation.id)).data;
    const { thread } = await gqlData(t, `query($id: ID!) { thread(id: $id) { chat { id } } }`, { id: conversation.id });
    await gqlData(
      t,
      `mutation($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { __typename } }`,
      { input: { scope: 'CHAT', targetId: thread.chat.id, reason: 'litigation' } },
    );
    const before = await rowCounts(t);
    calls.length = 0;

    const refused = await failure(openai.conversations.items.delete(idOf(item), { conversation_id: conversation.id }));
    expect(refused).toBeInstanceOf(OpenAI.ConflictError);
    expect(refused.status).toBe(409);
    expect(refused.error).toMatchObject({ type: 'invalid_request_error', code: 'legal_hold' });
    expect(refused.headers?.get('x-should-retry')).toBe('false');
    expect(calls).toHaveLength(1);
    expect((await failure(openai.beta.threads.messages.delete(idOf(item), { thread_id: conversation.id }))).status).toBe(409);
    expect((await failure(openai.conversations.delete(conversation.id, { query: { permanent: true } }))).status).toBe(409);
    expect(calls).toHaveLength(3);
    expect(await rowCounts(t)).toEqual(before);
    expect((await openai.conversations.items.list(conversation.id)).data).toHaveLength(1);

    // Reversible, so a hold lets it through (docs/rest.md).
    expect((await openai.conversations.delete(conversation.id)).deleted).toBe(true);
  });

  it("tenant isolation: tenant B's key gets 404 for A's conversation and items, which stay", async () => {
    t = await startTestServer();
    const a = client();
    const b = client(t.keys.b);
    const { id } = await a.conversations.create({ metadata: { owner: 'a' }, items: [{ role: 'user', content: 'private' }] });
    const [item] = (await a.conversations.items.list(id)).data;
    const itemId = idOf(item);
    for (const call of [
      () => b.conversations.retrieve(id),
      () => b.conversations.delete(id),
      () => b.conversations.items.list(id),
      () => b.conversations.items.create(id, { items: [{ role: 'user', content: 'intrusion' }] }),
      () => b.conversations.items.retrieve(itemId, { conversation_id: id }),
      () => b.conversations.items.delete(itemId, { conversation_id: id }),
      () => b.beta.threads.retrieve(id),
      () => b.beta.threads.delete(id),
      () => b.beta.threads.messages.delete(itemId, { thread_id: id }),
    ]) {
      expect(await failure(call())).toBeInstanceOf(OpenAI.NotFoundError);
    }
    expect((await a.conversations.items.list(id)).data.map((i) => i.id)).toEqual([itemId]);
    expect((await a.conversations.retrieve(id)).metadata).toEqual({ owner: 'a' });
    // B's own conversations live in B's own flow.
    const mine = await b.conversations.create();
    const flowOf = async (conversationId: string, key: string) =>
      (await gqlData(t, `query($id: ID!) { thread(id: $id) { chat { flow { id } } } }`, { id: conversationId }, key)).thread.chat.flow.id;
    expect(await flowOf(mine.id, t.keys.b)).not.toBe(await flowOf(id, t.keys.a));
  });
});
