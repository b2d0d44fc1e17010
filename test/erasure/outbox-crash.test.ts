import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Replica, freshSchema, postgresMissing, startReplica } from '../replicas/processes.ts';
import { eventually, startReceiver } from './webhook-receiver.ts';

// The outbox survives a crash: a real `chat-gateway serve` process deletes chats whose
// flow has a webhook target that is down, is killed with SIGKILL, and started again on the
// same database; once the receiver is back, each copy's erasure arrives exactly once,
// signed, and its receipt completes. On SQLite always, on PostgreSQL when it answers.

const SECRET = 'whsec_outbox_crash_secret';
const BIN = new URL('../../bin/chat-gateway.js', import.meta.url).pathname;
const RECEIPT = `{ id status completedAt copies { targetId name status attempts lastError completedAt } }`;

const pgMissing = await postgresMissing();
if (pgMissing) console.warn(`SKIPPED outbox crash tests on PostgreSQL: ${pgMissing}`);

interface Engine {
  name: 'sqlite' | 'postgres';
  missing: string | undefined;
  /** A database no other test sees. */
  open(): Promise<{ url: string; drop(): Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'sqlite',
    missing: undefined,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'outbox-crash-'));
      return { url: join(dir, 'x.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  { name: 'postgres', missing: pgMissing, open: freshSchema },
];

interface DeliveryRow {
  id: string;
  receipt_id: string;
  status: string;
  attempts: number;
  leased_until: string | null;
}

/** The outbox rows of a receipt, read straight from the database while no server runs. */
async function deliveriesInDatabase(engine: Engine['name'], url: string, receiptId: string): Promise<DeliveryRow[]> {
  const text = 'select id, receipt_id, status, attempts, leased_until from erasure_deliveries where receipt_id = $1';
  if (engine === 'sqlite') {
    const db = new Database(url, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(text.replace('$1', '?')).all(receiptId) as DeliveryRow[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<DeliveryRow>(text, [receiptId])).rows;
  } finally {
    await client.end();
  }
}

/** Makes an entry's lease as if it had run out (the dead holder can no longer deliver it). */
async function expireLease(engine: Engine['name'], url: string, id: string): Promise<void> {
  const text = "update erasure_deliveries set leased_until = '2000-01-01T00:00:00.000Z' where id = $1";
  if (engine === 'sqlite') {
    const db = new Database(url, { fileMustExist: true });
    try {
      db.prepare(text.replace('$1', '?')).run(id);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text, [id]);
  } finally {
    await client.end();
  }
}

async function gql(server: Replica, key: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

function adminKey(env: Record<string, string>): string {
  const out = execFileSync('node', [BIN, 'create-key', '--tenant', 'replicas', '--name', 'admin-key', '--scopes', 'read,write,delete,admin'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return out.trim().split('\n').at(-1)!;
}

for (const engine of engines) {
  describe.skipIf(engine.missing !== undefined)(`the erasure outbox across a SIGKILL on ${engine.name}${engine.missing ? ` (SKIPPED: ${engine.missing})` : ''}`, () => {
    let database: { url: string; drop(): Promise<void> };
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    let env: Record<string, string>;
    let key: string;
    let server: Replica;

    beforeAll(async () => {
      database = await engine.open();
      receiver = await startReceiver(SECRET);
      await receiver.stop();
      // Retries at most 1 s apart: the copies fail attempts while the receiver is down (also
      // the restarted server's first), and the default backoff (1, 2, 4, 8 s …) would make the
      // wait after the receiver is back depend on how many.
      env = { DATABASE_URL: database.url, ERASURE_TARGET_HOSTS: '127.0.0.1', ERASURE_RETRY_MAX_MS: '1000', LOG_LEVEL: 'error' };
      key = adminKey(env);
      server = await startReplica(env);
    }, 40_000);

    afterAll(async () => {
      await server?.kill();
      await receiver?.stop();
      await database?.drop();
    });

    /** A flow with a webhook target at the receiver (down), and a chat of it with two sessions' messages. */
    async function chatToErase() {
      const flowId = (await gql(server, key, `mutation { createFlow(input: { name: "f", type: CHATFLOW }) { ... on CreateFlowSuccess { flow { id } } } }`)).createFlow.flow.id;
      const added = await gql(
        server,
        key,
        `mutation($input: AddErasureTargetInput!) { addErasureTarget(input: $input) { __typename ... on AddErasureTargetSuccess { target { id } } } }`,
        { input: { flowId, kind: 'WEBHOOK', name: 'search index', url: receiver.url, secret: SECRET } },
      );
      expect(added.addErasureTarget.__typename).toBe('AddErasureTargetSuccess');
      const targetId = added.addErasureTarget.target.id as string;
      const chatId = (await gql(server, key, `mutation($f: ID!) { createChat(input: { flowId: $f }) { ... on CreateChatSuccess { chat { id } } } }`, { f: flowId })).createChat
        .chat.id as string;
      const threadId = (await gql(server, key, `mutation($c: ID!) { createThread(input: { chatId: $c }) { ... on CreateThreadSuccess { thread { id } } } }`, { c: chatId }))
        .createThread.thread.id as string;
      const messageIds: string[] = [];
      for (const sessionId of ['sess-1', 'sess-2']) {
        const posted = await gql(
          server,
          key,
          `mutation($t: ID!, $s: String) { postMessage(input: { threadId: $t, role: USER, content: "hi", sessionId: $s }) { ... on PostMessageSuccess { message { id } } } }`,
          { t: threadId, s: sessionId },
        );
        messageIds.push(posted.postMessage.message.id);
      }
      return { flowId, targetId, chatId, threadId, messageIds };
    }
    type Chat = Awaited<ReturnType<typeof chatToErase>>;

    /** deleteChat, answered at once (the receiver is down: the delete does not wait for it) with a PENDING receipt. */
    async function deleteChat(chat: Chat): Promise<string> {
      const started = Date.now();
      const data = await gql(server, key, `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { receipt ${RECEIPT} } } }`, { id: chat.chatId });
      const ms = Date.now() - started;
      const answer = data.deleteChat;
      expect(answer.__typename).toBe('DeleteChatSuccess');
      expect(answer.receipt.status).toBe('PENDING');
      expect(answer.receipt.completedAt).toBeNull();
      expect(answer.receipt.copies).toMatchObject([{ targetId: chat.targetId, name: 'search index', status: 'PENDING', completedAt: null }]);
      expect(ms).toBeLessThan(2_000);
      return answer.receipt.id as string;
    }

    const receiptOf = async (id: string) => (await gql(server, key, `query($id: ID!) { erasureReceipt(id: $id) ${RECEIPT} }`, { id })).erasureReceipt;

    /** The one event the receiver got for the receipt: valid, signed, naming what was erased. */
    function expectOneEvent(chat: Chat, receiptId: string, deliveryId: string): void {
      const got = receiver.received.filter((r) => r.body.receiptId === receiptId);
      expect(got, `events for receipt ${receiptId}`).toHaveLength(1);
      expect(got[0]!.signatureValid).toBe(true);
      expect(got[0]!.body).toMatchObject({ id: deliveryId, type: 'erasure', receiptId, flowId: chat.flowId, chatIds: [chat.chatId], threadIds: [chat.threadId] });
      expect([...(got[0]!.body.sessionIds as string[])].sort()).toEqual(['sess-1', 'sess-2']);
      expect([...(got[0]!.body.messageIds as string[])].sort()).toEqual([...chat.messageIds].sort());
    }

    // One crash for both cases (a server start costs seconds): a copy whose first attempt
    // had failed when the SIGKILL came, and one whose delete had answered just before it.
    it('delivers once, after a SIGKILL and a restart, a copy that had failed an attempt and one whose delete had just answered', async () => {
      // A: the worker tried the receiver, which is down, and keeps the copy for a retry.
      const failed = await chatToErase();
      const failedReceipt = await deleteChat(failed);
      let before: any;
      await eventually(async () => (before = await receiptOf(failedReceipt)).copies[0].attempts >= 1, 'a first failed attempt');
      expect(before.status).toBe('PENDING');
      expect(before.copies[0]).toMatchObject({ status: 'PENDING', lastError: 'Webhook target: connection refused' });
      const attemptsBefore = before.copies[0].attempts as number;

      // B: SIGKILL the moment the delete has answered.
      const fresh = await chatToErase();
      const freshReceipt = await deleteChat(fresh);
      await server.kill();

      // Both entries are in the database the dead process left: each was committed with its delete.
      const [rowsA, rowsB] = [await deliveriesInDatabase(engine.name, database.url, failedReceipt), await deliveriesInDatabase(engine.name, database.url, freshReceipt)];
      expect(rowsA).toMatchObject([{ receipt_id: failedReceipt, status: 'PENDING' }]);
      expect(rowsB).toMatchObject([{ receipt_id: freshReceipt, status: 'PENDING' }]);
      expect(Number(rowsB[0]!.attempts)).toBeLessThanOrEqual(1);
      for (const [which, row] of [['A (failed attempt)', rowsA[0]!], ['B (just answered)', rowsB[0]!]] as const) {
        if (row.leased_until === null) continue;
        // The kill cut short an attempt (the delete's own kick had claimed it): its lease holds
        // the entry for DELIVERY_LEASE_MS (60 s) after the claim. Stand for that time passing.
        console.info(`outbox-crash (${engine.name}): the SIGKILL interrupted a claimed attempt of copy ${which}, attempts ${row.attempts} (leased until ${row.leased_until}); ageing the lease`);
        await expireLease(engine.name, database.url, row.id);
      }

      // The same server again on the same database, then the receiver back up.
      server = await startReplica(env);
      await receiver.restart();
      let done: any[] = [];
      await eventually(
        async () => (done = [await receiptOf(failedReceipt), await receiptOf(freshReceipt)]).every((r) => r.status === 'COMPLETE'),
        'both receipts to complete after the restart',
        8_000,
      );
      for (const [receipt, chat] of [
        [done[0], failed],
        [done[1], fresh],
      ] as const) {
        expect(receipt.completedAt).not.toBeNull();
        expect(receipt.copies).toEqual([{ targetId: chat.targetId, name: 'search index', status: 'COMPLETE', attempts: receipt.copies[0].attempts, lastError: null, completedAt: receipt.completedAt }]);
        expect(receipt.copies[0].attempts).toBeGreaterThanOrEqual(1);
      }
      // The attempts before the crash count, and the one that confirmed after it.
      expect(done[0].copies[0].attempts).toBeGreaterThan(attemptsBefore);

      // One poll period more: a repeat would have been sent by now.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expectOneEvent(failed, failedReceipt, rowsA[0]!.id);
      expectOneEvent(fresh, freshReceipt, rowsB[0]!.id);
      expect(receiver.received).toHaveLength(2);
      // The chats stayed deleted across the crash.
      for (const chat of [failed, fresh]) expect((await gql(server, key, `query($id: ID!) { chat(id: $id) { id } }`, { id: chat.chatId })).chat).toBeNull();
    }, 45_000);
  });
}
