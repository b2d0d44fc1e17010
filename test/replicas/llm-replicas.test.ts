import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiUpstream, startOpenAiUpstream } from '../helpers/openai-upstream.ts';
import { type Replica, type ReplicaPair, gqlOn, missingServices, newThread, twoReplicas } from './processes.ts';

// README "Streams": with REDIS_URL, a cancel on one replica aborts the generation that
// another replica runs against the OpenAI-compatible upstream: the upstream sees its
// connection close.

const missing = await missingServices();
if (missing) console.warn(`SKIPPED multi-replica upstream tests: ${missing}`);

describe.skipIf(missing !== undefined)(`an upstream generation across replicas${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
  let replicas: ReplicaPair;
  let upstream: OpenAiUpstream;

  beforeAll(async () => {
    upstream = await startOpenAiUpstream({ kind: 'tokens', tokens: ['Once', ' upon'], hang: true });
    replicas = await twoReplicas({ LLM_BASE_URL: upstream.baseUrl, LLM_MODEL: 'test-model' });
  }, 60_000);

  afterAll(async () => {
    await replicas?.stop();
    await upstream?.close();
  });

  const gql = (replica: Replica, query: string, variables: Record<string, unknown> = {}) => gqlOn(replica, replicas.key, query, variables);

  it('cancelStream on B closes the upstream request of the stream A generates, and no reply is committed', async () => {
    const { a, b } = replicas;
    const { threadId } = await newThread(a, replicas.key);
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
