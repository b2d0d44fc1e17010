import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ReceivedOperation, type RunningModeration, startModeration } from '../../examples/moderation/service.ts';
import { chatModeration, messageToxicity } from '../../examples/moderation/verdicts.ts';
import { composeSupergraph, repositorySubgraphs } from '../../scripts/compose-supergraph.ts';
import { chatWithMessages, createChat, createFlow, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';

// Both subgraphs and a real Hive Gateway on loopback; every operation below goes through
// the gateway with the client's API key, as a client of the supergraph would send it.
// The gateway lives in its own npm package (examples/supergraph): without its
// node_modules these tests are skipped, loudly.

const gatewayPackage = fileURLToPath(new URL('../../examples/supergraph/', import.meta.url));
const installed = existsSync(`${gatewayPackage}node_modules/@graphql-hive/gateway-runtime`);
if (!installed) console.warn('\n  SKIPPED supergraph gateway tests: run `npm ci` in examples/supergraph to run them\n');

/** examples/supergraph/src/gateway.ts, loaded at run time so the root typecheck needs none of its packages. */
interface GatewayModule {
  startGateway(options: { supergraph: string; onSubgraphFetch?: (fetch: { url: string; body: string }) => void }): Promise<{ url: string; stop(): Promise<void> }>;
}

interface Body {
  data?: any;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

const ERROR_FIELDS = 'fragment ErrorFields on Error { __typename message ... on NotFoundError { resourceType id } ... on ConflictError { reason activeConnections } }';

describe.skipIf(!installed)(installed ? 'a real supergraph through Hive Gateway' : 'SKIPPED: run npm ci in examples/supergraph (supergraph through Hive Gateway)', () => {
  let t: TestServer;
  let moderation: RunningModeration;
  let gateway: { url: string; stop(): Promise<void> };
  /** Operations the moderation subgraph received, and requests the gateway sent to subgraphs. */
  const received: ReceivedOperation[] = [];
  const fetches: { url: string; body: string }[] = [];

  beforeAll(async () => {
    t = await startTestServer();
    moderation = await startModeration({ onOperation: (op) => received.push(op) });
    const { supergraphSdl } = composeSupergraph(repositorySubgraphs({ chatGateway: `${t.url}/graphql`, moderation: moderation.url }));
    const { startGateway } = (await import(/* @vite-ignore */ `${gatewayPackage}src/gateway.ts`)) as GatewayModule;
    gateway = await startGateway({ supergraph: supergraphSdl, onSubgraphFetch: (f) => fetches.push(f) });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await moderation?.stop();
    await t?.close();
  });

  beforeEach(() => {
    received.length = 0;
    fetches.length = 0;
  });

  async function gql(query: string, variables: Record<string, unknown> = {}, key: string | null = t.keys.a): Promise<Body> {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'x-api-key': key }) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as Body;
  }

  /** data[field] of an operation that must not answer GraphQL errors. */
  async function run(query: string, variables: Record<string, unknown>, field: string): Promise<any> {
    const body = await gql(query, variables);
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data[field];
  }

  const entityCalls = (url: string) => fetches.filter((f) => f.url === url && f.body.includes('_entities'));
  const sqlReads = () => t.queries.filter((q) => /^\s*select/i.test(q) && !/api_keys/.test(q));

  it('joins fields of both subgraphs: chats with their moderation, messages with their toxicity', async () => {
    const { chatId, messageIds } = await chatWithMessages(t, 2);
    const body = await gql(
      `query($id: ID!) { chat(id: $id) { id title moderation { flagged reason }
          threads(first: 5) { edges { node { messages(first: 5) { edges { node { id content toxicity } } } } } } } }`,
      { id: chatId },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.chat).toMatchObject({ id: chatId, title: 'Chat', moderation: chatModeration(chatId) });
    const messages = body.data.chat.threads.edges[0].node.messages.edges.map((e: any) => e.node);
    expect(messages).toEqual(messageIds.map((id, i) => ({ id, content: `message ${i}`, toxicity: messageToxicity(id) })));
    // The client's key reached the other subgraph too.
    expect(received.length).toBeGreaterThan(0);
    expect(received.every((op) => op.headers.get('x-api-key') === t.keys.a)).toBe(true);
  });

  it('plans 100 chats with moderation fields as one chats query and one _entities call', async () => {
    const flowId = await createFlow(t, 'Hundred');
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await createChat(t, flowId, `chat ${i}`));
    received.length = 0;
    fetches.length = 0;
    t.queries.length = 0;

    const chats = await run(
      `query($flowId: ID!) { chats(flowId: $flowId, first: 100) { edges { node { id title moderation { flagged reason } } } } }`,
      { flowId },
      'chats',
    );

    expect(chats.edges.map((e: any) => e.node.id).sort()).toEqual([...ids].sort());
    expect(chats.edges.every((e: any) => JSON.stringify(e.node.moderation) === JSON.stringify(chatModeration(e.node.id)))).toBe(true);
    const calls = received.filter((op) => op.query.includes('_entities'));
    expect(calls).toHaveLength(1);
    expect((calls[0]?.variables?.representations as unknown[]).length).toBe(100);
    expect(fetches.filter((f) => f.url === `${t.url}/graphql`)).toHaveLength(1);
    expect(sqlReads()).toHaveLength(1);
  });

  it('plans the reverse join (moderation first, then chat fields) as one _entities call to our subgraph and one SQL read', async () => {
    const flowId = await createFlow(t, 'Queue');
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) ids.push(await createChat(t, flowId, `queued ${i}`));
    const flagged = ids.filter((id) => chatModeration(id).flagged);
    fetches.length = 0;
    t.queries.length = 0;

    const queue = await run(`query($ids: [ID!]!) { moderationQueue(chatIds: $ids) { id title moderation { reason } } }`, { ids }, 'moderationQueue');

    expect(queue.map((c: any) => c.id)).toEqual(flagged);
    expect(queue.every((c: any) => /^queued \d+$/.test(c.title))).toBe(true);
    expect(entityCalls(`${t.url}/graphql`)).toHaveLength(1);
    expect(sqlReads()).toHaveLength(1);
  });

  it('deleteChat answers its union through the gateway: success, then NotFoundError', async () => {
    const { chatId } = await chatWithMessages(t, 3);
    const mutation = `mutation($id: ID!) { deleteChat(id: $id) { __typename
        ... on DeleteChatSuccess { chatId success deletedThreadCount deletedMessageCount auditEntry { action actor } } ...ErrorFields } } ${ERROR_FIELDS}`;
    expect(await run(mutation, { id: chatId }, 'deleteChat')).toEqual({
      __typename: 'DeleteChatSuccess',
      chatId,
      success: true,
      deletedThreadCount: 1,
      deletedMessageCount: 3,
      auditEntry: { action: 'chat.delete', actor: 'key-a' },
    });
    expect(await run(mutation, { id: chatId }, 'deleteChat')).toMatchObject({ __typename: 'NotFoundError', resourceType: 'CHAT', id: chatId });
  });

  it('deleteThread answers its union through the gateway', async () => {
    const { threadId } = await chatWithMessages(t, 2);
    const result = await run(
      `mutation($id: ID!) { deleteThread(id: $id) { __typename
          ... on DeleteThreadSuccess { threadId deleted softDelete canRestore deletedMessageCount } ...ErrorFields } } ${ERROR_FIELDS}`,
      { id: threadId },
      'deleteThread',
    );
    expect(result).toEqual({ __typename: 'DeleteThreadSuccess', threadId, deleted: true, softDelete: true, canRestore: true, deletedMessageCount: 2 });
  });

  it('deleteStream answers its union through the gateway, for a stream started and finished through it', async () => {
    const { threadId } = await chatWithMessages(t, 0);
    const started = await run(
      `mutation($input: StartStreamInput!) { startStream(input: $input) { __typename ... on StartStreamSuccess { stream { id } } ...ErrorFields } } ${ERROR_FIELDS}`,
      { input: { threadId, prompt: 'alpha beta gamma' } },
      'startStream',
    );
    expect(started.__typename).toBe('StartStreamSuccess');
    const streamId: string = started.stream.id;
    const deadline = Date.now() + 5000;
    let status = '';
    while (status !== 'COMPLETED' && Date.now() < deadline) {
      status = (await run(`query($id: ID!) { stream(id: $id) { status } }`, { id: streamId }, 'stream')).status;
      if (status !== 'COMPLETED') await sleep(10);
    }
    expect(status).toBe('COMPLETED');

    const result = await run(
      `mutation($id: ID!) { deleteStream(id: $id) { __typename
          ... on DeleteStreamSuccess { streamId previousStatus cancelled deletedEventCount } ...ErrorFields } } ${ERROR_FIELDS}`,
      { id: streamId },
      'deleteStream',
    );
    // STARTED, three TOKENs, COMPLETED
    expect(result).toEqual({ __typename: 'DeleteStreamSuccess', streamId, previousStatus: 'COMPLETED', cancelled: false, deletedEventCount: 5 });
  });

  it('deleteMessages answers its union through the gateway, ValidationError included', async () => {
    const { flowId, threadId } = await chatWithMessages(t, 4);
    const mutation = `mutation($flowId: ID!, $filter: MessageFilter) { deleteMessages(flowId: $flowId, filter: $filter) { __typename
        ... on DeleteMessagesSuccess { affected hardDelete } ...ErrorFields ... on ValidationError { fieldErrors { path } } } } ${ERROR_FIELDS}`;
    expect(await run(mutation, { flowId, filter: { threadId } }, 'deleteMessages')).toEqual({ __typename: 'DeleteMessagesSuccess', affected: 4, hardDelete: false });
    expect(await run(mutation, { flowId: 'not-a-uuid' }, 'deleteMessages')).toMatchObject({
      __typename: 'ValidationError',
      fieldErrors: [{ path: ['flowId'] }],
    });
  });

  it('passes our UNAUTHENTICATED error through for a request without a key', async () => {
    const body = await gql('{ chats(first: 1) { edges { node { id moderation { flagged } } } } }', {}, null);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(body.data?.chats ?? null).toBeNull();
  });

  it('relays a chatEvents subscription over SSE, with the key, from our subgraph', async () => {
    const { chatId } = await chatWithMessages(t, 0);
    const controller = new AbortController();
    const response = await fetch(gateway.url, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': t.keys.a },
      body: JSON.stringify({ query: 'subscription($chatId: ID!) { chatEvents(chatId: $chatId) { type chatId threadId } }', variables: { chatId } }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = readSseData(response);
    try {
      // The subscription reached our subgraph with the key: it counts as a live connection there.
      const deadline = Date.now() + 5000;
      let active = 0;
      while (active === 0 && Date.now() < deadline) {
        active = (await run(`query($id: ID!) { chat(id: $id) { activeConnections } }`, { id: chatId }, 'chat')).activeConnections;
        if (active === 0) await sleep(20);
      }
      expect(active).toBe(1);

      const threadId = await createThreadVia(chatId);
      await postMessage(t, threadId);
      const first = await events.next();
      expect(first.value).toEqual({ data: { chatEvents: { type: 'THREAD_CREATED', chatId, threadId } } });
      expect((await events.next()).value).toEqual({ data: { chatEvents: { type: 'MESSAGE_POSTED', chatId, threadId } } });
    } finally {
      controller.abort();
      await events.return?.(undefined);
    }
  });

  async function createThreadVia(chatId: string): Promise<string> {
    const r = await run(
      `mutation($input: CreateThreadInput!) { createThread(input: $input) { __typename ... on CreateThreadSuccess { thread { id } } } }`,
      { input: { chatId } },
      'createThread',
    );
    return r.thread.id;
  }
});

/** The JSON payload of each `event: next` of a GraphQL-over-SSE response. */
async function* readSseData(response: Response): AsyncGenerator<unknown> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let split: number;
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        if (/^event: complete/m.test(block)) return;
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('\n');
        if (data) yield JSON.parse(data);
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}
