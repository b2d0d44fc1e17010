import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse } from '../live/sse-client.ts';
import { type Replica, type ReplicaPair, gqlOn, missingServices, newThread, startReplica, twoReplicas } from './processes.ts';

// docs/design.md#live-connections with several replicas: two server processes share one
// PostgreSQL database and one Redis. Connections counted on A block a delete on B,
// a forced delete on B ends A's subscribers, a stream generated on A stops when B
// deletes it, and a replica killed with SIGKILL stops counting within the TTL.

const missing = await missingServices();
if (missing) console.warn(`SKIPPED multi-replica tests: ${missing}`);

const TTL_MS = 2000;

const gql = gqlOn;

const CHAT_EVENTS = `subscription($c: ID!) { chatEvents(chatId: $c) { type } }`;
const STREAM_EVENTS = `subscription($s: ID!) { streamEvents(id: $s) { seq type } }`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

describe.skipIf(missing !== undefined)(`two replicas on PostgreSQL and Redis${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
  let replicas: ReplicaPair;
  let a: Replica;
  let b: Replica;
  let key: string;

  beforeAll(async () => {
    replicas = await twoReplicas({ LIVE_CONNECTION_TTL_MS: String(TTL_MS), STREAM_TOKEN_INTERVAL_MS: '20' });
    ({ a, b, key } = replicas);
  }, 60_000);

  afterAll(async () => {
    await replicas?.stop();
  });

  const newChat = () => newThread(a, key);

  const connectionsOn = async (replica: Replica, chatId: string) =>
    (await gql(replica, key, `query($c: ID!) { chat(id: $c) { activeConnections } }`, { c: chatId })).data.chat?.activeConnections;

  it('a subscriber on A blocks deleteChat on B; force on B ends it with CHAT_DELETED', async () => {
    const { chatId } = await newChat();
    const sub = await openSse(`${a.url}/graphql`, { query: CHAT_EVENTS, variables: { c: chatId } }, { 'x-api-key': key });
    expect(await until(() => connectionsOn(b, chatId), (n) => n === 1, 3000)).toBe(1);
    const refused = await gql(b, key, `mutation($c: ID!) { deleteChat(id: $c) { __typename ... on ConflictError { reason activeConnections } } }`, { c: chatId });
    expect(refused.data.deleteChat).toEqual({ __typename: 'ConflictError', reason: 'ACTIVE_CONNECTIONS', activeConnections: 1 });
    const forced = await gql(b, key, `mutation($c: ID!) { deleteChat(id: $c, force: true) { __typename ... on DeleteChatSuccess { closedConnections } } }`, { c: chatId });
    expect(forced.data.deleteChat).toEqual({ __typename: 'DeleteChatSuccess', closedConnections: 1 });
    expect(await sub.done).toBe('complete');
    const types = sub.messages.filter((m) => m.event === 'next').map((m) => JSON.parse(m.data).data.chatEvents.type);
    expect(types).toEqual(['CHAT_DELETED']);
  }, 30_000);

  it('deleting on B a stream generated on A stops A\u2019s generator', async () => {
    const { threadId } = await newChat();
    const prompt = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
    const started = await gql(a, key, `mutation($t: ID!, $p: String!) { startStream(input: { threadId: $t, prompt: $p }) { ... on StartStreamSuccess { stream { id } } } }`, { t: threadId, p: prompt });
    const streamId = started.data.startStream.stream.id as string;
    const watcher = await openSse(`${a.url}/graphql`, { query: STREAM_EVENTS, variables: { s: streamId } }, { 'x-api-key': key });
    await until(() => gql(b, key, `query($s: ID!) { stream(id: $s) { eventCount } }`, { s: streamId }), (r) => r.data.stream?.eventCount >= 5, 5000);
    const deleted = await gql(b, key, `mutation($s: ID!) { deleteStream(id: $s) { __typename ... on DeleteStreamSuccess { cancelled } } }`, { s: streamId });
    expect(deleted.data.deleteStream).toEqual({ __typename: 'DeleteStreamSuccess', cancelled: true });
    expect(await watcher.done).toBe('complete');
    const types = watcher.messages.filter((m) => m.event === 'next').map((m) => JSON.parse(m.data).data.streamEvents.type);
    expect(types.slice(-2)).toEqual(['CANCELLED', 'DELETED']);
    // A's generator is stopped: no reply is ever committed to the thread.
    await sleep(300);
    const thread = await gql(a, key, `query($t: ID!) { thread(id: $t) { messages { edges { node { role } } } } }`, { t: threadId });
    expect(thread.data.thread.messages.edges.map((e: { node: { role: string } }) => e.node.role)).toEqual(['USER']);
  }, 30_000);

  it('a replica killed with SIGKILL stops counting its connections within the TTL', async () => {
    const doomed = await startReplica(replicas.env);
    const { chatId } = await newChat();
    const sub = await openSse(`${doomed.url}/graphql`, { query: CHAT_EVENTS, variables: { c: chatId } }, { 'x-api-key': key });
    expect(await until(() => connectionsOn(b, chatId), (n) => n === 1, 3000)).toBe(1);
    const killedAt = Date.now();
    await doomed.kill();
    sub.abort();
    const after = await until(() => connectionsOn(b, chatId), (n) => n === 0, TTL_MS * 3);
    expect(after).toBe(0);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(TTL_MS + 1000);
  }, 30_000);
});
