import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiUpstream, startOpenAiUpstream } from '../helpers/openai-upstream.ts';
import { type Replica, createKey, freshSchema, gqlOn, missingServices, startReplica } from './processes.ts';

// README "Streams": with REDIS_URL, a cancel on one replica aborts the generation that
// another replica runs against the OpenAI-compatible upstream: the upstream sees its
// connection close.

const missing = await missingServices();
if (missing) console.warn(`SKIPPED multi-replica upstream tests: ${missing}`);

describe.skipIf(missing !== undefined)(`an upstream generation across replicas${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
  let a: Replica;
  let b: Replica;
  let key: string;
  let upstream: OpenAiUpstream;
  let schema: Awaited<ReturnType<typeof freshSchema>>;

  beforeAll(async () => {
    upstream = await startOpenAiUpstream({ kind: 'tokens', tokens: ['Once', ' upon'], hang: true });
    schema = await freshSchema();
    const env = {
      DATABASE_URL: schema.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      LLM_BASE_URL: upstream.baseUrl,
      LLM_MODEL: 'test-model',
    };
    key = createKey(env);
    a = await startReplica(env);
    b = await startReplica(env);
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await schema?.drop();
    await upstream?.close();
  });

  const gql = (replica: Replica, query: string, variables: Record<string, unknown> = {}) => gqlOn(replica, key, query, variables);

  it('cancelStream on B closes the upstream request of the stream A generates, and no reply is committed', async () => {
    const flow = await gql(a, `mutation { createFlow(input: { name: "f", type: CHATFLOW }) { ... on CreateFlowSuccess { flow { id } } } }`);
    const chat = await gql(a, `mutation($f: ID!) { createChat(input: { flowId: $f }) { ... on CreateChatSuccess { chat { id } } } }`, { f: flow.data.createFlow.flow.id });
    const thread = await gql(a, `mutation($c: ID!) { createThread(input: { chatId: $c }) { ... on CreateThreadSuccess { thread { id } } } }`, { c: chat.data.createChat.chat.id });
    const threadId = thread.data.createThread.thread.id as string;
    const started = await gql(a, `mutation($t: ID!) { startStream(input: { threadId: $t, prompt: "A story" }) { ... on StartStreamSuccess { stream { id } } } }`, { t: threadId });
    const streamId = started.data.startStream.stream.id as string;
    const deadline = Date.now() + 10_000;
    while ((await gql(b, `query($s: ID!) { stream(id: $s) { eventCount } }`, { s: streamId })).data.stream.eventCount < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(upstream.requests).toHaveLength(1);
    const request = upstream.requests[0]!;
    expect(request.closedEarly).toBe(false);

    const cancelled = await gql(b, `mutation($s: ID!) { cancelStream(id: $s) { __typename ... on CancelStreamSuccess { wasActive } } }`, { s: streamId });
    expect(cancelled.data.cancelStream).toEqual({ __typename: 'CancelStreamSuccess', wasActive: true });
    await Promise.race([request.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the upstream connection is still open')), 5000))]);
    expect(request.closedEarly).toBe(true);
    const read = await gql(a, `query($t: ID!) { thread(id: $t) { messages { edges { node { role } } } } }`, { t: threadId });
    expect(read.data.thread.messages.edges.map((e: { node: { role: string } }) => e.node.role)).toEqual(['USER']);
  }, 60_000);
});
