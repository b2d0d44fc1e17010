import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Replica, freshSchema, postgresMissing, startReplica } from '../replicas/processes.ts';
import { eventually, startReceiver } from './webhook-receiver.ts';

// The outbox with several replicas on one PostgreSQL database: three `chat-gateway serve`
// processes, 30 permanent deletes spread over them at once, one webhook target whose
// receiver answers slowly (so deliveries overlap the other replicas' claims). Every copy
// is delivered exactly once: no delivery id reaches the receiver twice, each receipt's
// event arrives once, and each copy took one attempt.

const SECRET = 'whsec_outbox_replicas_secret';
const BIN = new URL('../../bin/chat-gateway.js', import.meta.url).pathname;
const CHATS = 30;
const REPLICAS = 3;
const ANSWER_DELAY_MS = 200;

const missing = await postgresMissing();
if (missing) console.warn(`SKIPPED outbox replica tests: ${missing}`);

async function gql(replica: Replica, key: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${replica.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** What one replica's own process counted: copies it confirmed (the counter is per process). */
async function deliveredBy(replica: Replica): Promise<number> {
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  return Number(/^chat_gateway_erasure_deliveries_total\{outcome="delivered"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

describe.skipIf(missing !== undefined)(`erasure deliveries from ${REPLICAS} replicas on one PostgreSQL database${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
  let schema: Awaited<ReturnType<typeof freshSchema>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let key: string;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    schema = await freshSchema();
    receiver = await startReceiver(SECRET, () => new Promise((resolve) => setTimeout(() => resolve(204), ANSWER_DELAY_MS)));
    const env = { DATABASE_URL: schema.url, ERASURE_TARGET_HOSTS: '127.0.0.1', LOG_LEVEL: 'error' };
    const out = execFileSync('node', [BIN, 'create-key', '--tenant', 'replicas', '--name', 'admin-key', '--scopes', 'read,write,delete,admin'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    key = out.trim().split('\n').at(-1)!;
    // One after the other: side by side on a busy machine, a start can outlast startReplica's 20 s.
    for (let i = 0; i < REPLICAS; i++) replicas.push(await startReplica(env));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await receiver?.stop();
    await schema?.drop();
  });

  it('delivers each copy exactly once, however the replicas race for it', async () => {
    const on = (i: number) => replicas[i % REPLICAS]!;
    const flowId = (await gql(on(0), key, `mutation { createFlow(input: { name: "f", type: CHATFLOW }) { ... on CreateFlowSuccess { flow { id } } } }`)).createFlow.flow.id;
    const added = await gql(
      on(0),
      key,
      `mutation($input: AddErasureTargetInput!) { addErasureTarget(input: $input) { __typename ... on AddErasureTargetSuccess { target { id } } } }`,
      { input: { flowId, kind: 'WEBHOOK', name: 'search index', url: receiver.url, secret: SECRET } },
    );
    const targetId = added.addErasureTarget.target.id as string;
    const chatIds = await Promise.all(
      Array.from({ length: CHATS }, async (_, i) => {
        const chatId = (await gql(on(i), key, `mutation($f: ID!) { createChat(input: { flowId: $f }) { ... on CreateChatSuccess { chat { id } } } }`, { f: flowId }))
          .createChat.chat.id as string;
        const threadId = (await gql(on(i), key, `mutation($c: ID!) { createThread(input: { chatId: $c }) { ... on CreateThreadSuccess { thread { id } } } }`, { c: chatId }))
          .createThread.thread.id as string;
        await gql(on(i), key, `mutation($t: ID!, $s: String) { postMessage(input: { threadId: $t, role: USER, content: "hi", sessionId: $s }) { __typename } }`, {
          t: threadId,
          s: `sess-${i}`,
        });
        return chatId;
      }),
    );
    expect(receiver.received).toHaveLength(0);

    // All at once, over every replica: each delete's own kick and every replica's poll race for the rows.
    const receipts = await Promise.all(
      chatIds.map(async (chatId, i) => {
        const deleted = (await gql(on(i), key, `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { receipt { id status } } } }`, { id: chatId }))
          .deleteChat;
        expect(deleted.__typename).toBe('DeleteChatSuccess');
        return { chatId, receiptId: deleted.receipt.id as string };
      }),
    );
    expect(new Set(receipts.map((r) => r.receiptId)).size).toBe(CHATS);

    type Copy = { targetId: string; status: string; attempts: number; lastError: string | null };
    let final: { id: string; status: string; copies: Copy[] }[] = [];
    await eventually(
      async () => {
        final = await Promise.all(
          receipts.map(async ({ receiptId }, i) => (await gql(on(i + 1), key, `query($id: ID!) { erasureReceipt(id: $id) { id status copies { targetId status attempts lastError } } }`, { id: receiptId })).erasureReceipt),
        );
        return final.every((r) => r.status === 'COMPLETE');
      },
      'every receipt to complete',
      20_000,
    );
    // One poll period (1 s) more for any replica to send a repeat.
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    expect(receiver.received.every((r) => r.signatureValid)).toBe(true);
    const deliveryIds = receiver.received.map((r) => r.body.id as string);
    const repeated = deliveryIds.filter((id, i) => deliveryIds.indexOf(id) !== i);
    expect(repeated, 'delivery ids the receiver got more than once').toEqual([]);
    expect(receiver.received).toHaveLength(CHATS);
    const receiptIds = receiver.received.map((r) => r.body.receiptId as string).sort();
    expect(receiptIds).toEqual(receipts.map((r) => r.receiptId).sort());
    for (const got of receiver.received) {
      const sent = receipts.find((r) => r.receiptId === got.body.receiptId)!;
      expect(got.body).toMatchObject({ type: 'erasure', flowId, chatIds: [sent.chatId] });
    }
    for (const receipt of final) {
      expect(receipt.copies).toEqual([{ targetId, status: 'COMPLETE', attempts: 1, lastError: null }]);
    }
    // Each confirmation was recorded by exactly one process, and more than one took part.
    const counts = await Promise.all(replicas.map(deliveredBy));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(CHATS);
    expect(counts.filter((n) => n > 0).length, `deliveries per replica: ${counts.join(', ')}`).toBeGreaterThanOrEqual(2);
    // The slow answers overlapped: deliveries were under way side by side.
    const times = receiver.received.map((r) => r.at).sort((a, b) => a - b);
    expect(times.some((t, i) => i > 0 && t - times[i - 1]! < ANSWER_DELAY_MS)).toBe(true);
  }, 50_000);
});
