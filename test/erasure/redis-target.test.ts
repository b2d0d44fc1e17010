import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';

// REDIS erasure targets against a real Redis (127.0.0.1:6379, db 0), through GraphQL: a
// permanent delete DELs exactly the keys each target's pattern names for the erased rows,
// and no other; a delete that does not reach copies DELs nothing; a target that is down
// leaves the copy PENDING with an error that does not give its password away.

const REDIS_AT = 'redis://127.0.0.1:6379/0';

async function redisMissing(): Promise<string | undefined> {
  const probe = new Redis(REDIS_AT, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return `Redis at ${REDIS_AT} is not reachable (${(error as Error).message})`;
  } finally {
    probe.disconnect();
  }
}
const missing = await redisMissing();
if (missing) console.warn(`SKIPPED Redis erasure target tests: ${missing}`);

const COPIES = `copies { targetId name status attempts lastError completedAt }`;
const RECEIPT = `receipt { id status completedAt ${COPIES} }`;

describe.skipIf(missing !== undefined)(`a REDIS erasure target${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
  // Every key this file writes starts with P, so it can neither meet nor leave another's keys.
  const P = `cgtest-${randomBytes(6).toString('hex')}`;
  const redis = missing ? undefined : new Redis(REDIS_AT);
  let t: TestApp | undefined;
  let logs: string[] = [];

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    if (!redis) return;
    const keys = await redis.keys(`${P}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  async function start(): Promise<TestApp> {
    logs = [];
    t = await startTestApp({
      config: { erasureTargetHosts: ['127.0.0.1'] },
      logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    });
    return t;
  }

  async function addRedisTarget(app: TestApp, flowId: string, name: string, url: string, keyPattern: string): Promise<string> {
    const { body } = await app.gql(
      `mutation($input: AddErasureTargetInput!) { addErasureTarget(input: $input) { __typename ... on AddErasureTargetSuccess { target { id } } ... on ValidationError { fieldErrors { path message } } } }`,
      { input: { flowId, kind: 'REDIS', name, url, keyPattern } },
    );
    if (body.data?.addErasureTarget?.__typename !== 'AddErasureTargetSuccess') throw new Error(`addErasureTarget failed: ${JSON.stringify(body)}`);
    return body.data.addErasureTarget.target.id;
  }

  /** Lets the outbox attempt what is due now, and waits for it. */
  async function deliverDue(app: TestApp): Promise<void> {
    app.app.deps.outbox.kick();
    await app.app.deps.outbox.idle();
  }

  const receipt = async (app: TestApp, id: string) =>
    (await app.gql(`query($id: ID!) { erasureReceipt(id: $id) { id status completedAt ${COPIES} } }`, { id })).body.data.erasureReceipt;

  /** Which of `keys` exist now. */
  async function existing(keys: string[]): Promise<string[]> {
    const found: string[] = [];
    for (const key of keys) if ((await redis!.exists(key)) === 1) found.push(key);
    return found;
  }

  async function setKeys(keys: string[]): Promise<void> {
    for (const [i, key] of keys.entries()) {
      // Of different types: DEL erases any of them.
      if (i % 3 === 0) await redis!.set(key, 'v');
      else if (i % 3 === 1) await redis!.hset(key, { turn: '1' });
      else await redis!.rpush(key, 'a', 'b');
    }
    expect(await existing(keys)).toEqual(keys);
  }

  it('deleteChat DELs exactly the keys both patterns name for the chat, and its neighbours stay', async () => {
    const app = await start();
    const flowId = await createFlow(app);
    const memory = await addRedisTarget(app, flowId, 'memory', REDIS_AT, `${P}:memory:{sessionId}`);
    const perThread = await addRedisTarget(app, flowId, 'thread cache', REDIS_AT, `${P}:chat:{chatId}:{threadId}`);
    const chatId = await createChat(app, flowId);
    const t1 = await createThread(app, chatId, 'with sessions');
    const t2 = await createThread(app, chatId, 'without session');
    const t3 = await createThread(app, chatId, 'empty');
    await postMessage(app, t1, { sessionId: 'sess-1' });
    await postMessage(app, t1, { sessionId: 'sess-2' });
    await postMessage(app, t1, { sessionId: 'sess-1' });
    await postMessage(app, t2, {});
    const neighbourChat = await createChat(app, flowId, 'neighbour');
    const t4 = await createThread(app, neighbourChat);
    await postMessage(app, t4, { sessionId: 'sess-3' });

    const named = [`${P}:memory:sess-1`, `${P}:memory:sess-2`, `${P}:chat:${chatId}:${t1}`, `${P}:chat:${chatId}:${t2}`, `${P}:chat:${chatId}:${t3}`];
    const neighbours = [
      `${P}:memory:sess-3`,
      `${P}:memory:sess-1:extra`,
      `${P}:memory:sess-`,
      `${P}:memory:`,
      `${P}:chat:${neighbourChat}:${t4}`,
      `${P}:chat:${chatId}:not-a-thread`,
      `${P}:chat:${chatId}:`,
      `${P}:chat:${chatId}`,
    ];
    await setKeys([...named, ...neighbours]);

    const deleted = (await app.gql(`mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { ${RECEIPT} } } }`, { id: chatId })).body.data.deleteChat;
    expect(deleted.__typename).toBe('DeleteChatSuccess');
    expect(deleted.receipt.copies.map((c: { targetId: string }) => c.targetId).sort()).toEqual([memory, perThread].sort());
    await deliverDue(app);

    expect(await existing(named)).toEqual([]);
    expect(await existing(neighbours)).toEqual(neighbours);
    const done = await receipt(app, deleted.receipt.id);
    expect(done.status).toBe('COMPLETE');
    expect(done.completedAt).not.toBeNull();
    const byName = Object.fromEntries(done.copies.map((c: { name: string }) => [c.name, c]));
    expect(done.copies).toHaveLength(2);
    expect(byName.memory).toMatchObject({ targetId: memory, status: 'COMPLETE', attempts: 1, lastError: null });
    expect(byName['thread cache']).toMatchObject({ targetId: perThread, status: 'COMPLETE', attempts: 1, lastError: null });
    expect(byName.memory.completedAt).not.toBeNull();
    expect(byName['thread cache'].completedAt).not.toBeNull();
    // Once confirmed, the outbox keeps no list of what was erased (the sessions' ids among it).
    const events = await app.app.deps.store.db.selectFrom('erasure_deliveries').select('event').where('receipt_id', '=', deleted.receipt.id).execute();
    expect(events).toEqual([{ event: '' }, { event: '' }]);
  });

  it('deleteMessages(hardDelete) DELs only the filtered session’s key; without hardDelete it DELs none', async () => {
    const app = await start();
    const flowId = await createFlow(app);
    await addRedisTarget(app, flowId, 'memory', REDIS_AT, `${P}:memory:{sessionId}`);
    const chatId = await createChat(app, flowId);
    const threadId = await createThread(app, chatId);
    await postMessage(app, threadId, { sessionId: 'sess-a' });
    await postMessage(app, threadId, { sessionId: 'sess-b' });
    await postMessage(app, threadId, { sessionId: 'sess-c' });
    await postMessage(app, threadId, {});
    const keys = { a: `${P}:memory:sess-a`, b: `${P}:memory:sess-b`, c: `${P}:memory:sess-c` };
    await setKeys(Object.values(keys));

    const DELETE = `mutation($f: ID!, $s: String!, $hard: Boolean!) {
      deleteMessages(flowId: $f, filter: { sessionId: $s }, hardDelete: $hard) { __typename ... on DeleteMessagesSuccess { affected hardDelete ${RECEIPT} } }
    }`;
    const hard = (await app.gql(DELETE, { f: flowId, s: 'sess-a', hard: true })).body.data.deleteMessages;
    expect(hard).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 1, hardDelete: true });
    expect(hard.receipt.copies).toHaveLength(1);
    await deliverDue(app);
    expect(await existing(Object.values(keys))).toEqual([keys.b, keys.c]);
    expect((await receipt(app, hard.receipt.id)).status).toBe('COMPLETE');

    const plain = (await app.gql(DELETE, { f: flowId, s: 'sess-b', hard: false })).body.data.deleteMessages;
    expect(plain).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 1, hardDelete: false });
    expect(plain.receipt?.copies ?? []).toEqual([]);
    await deliverDue(app);
    app.clock.advance(60_000);
    await deliverDue(app);
    expect(await existing(Object.values(keys))).toEqual([keys.b, keys.c]);
  });

  it('leaves the copy PENDING when the target is down, with an error that does not show its password', async () => {
    const app = await start();
    const port = await closedPort();
    const url = `redis://:s3cretpw@127.0.0.1:${port}/0`;
    const flowId = await createFlow(app);
    const targetId = await addRedisTarget(app, flowId, 'memory elsewhere', url, `${P}:memory:{sessionId}`);
    const chatId = await createChat(app, flowId);
    await postMessage(app, await createThread(app, chatId), { sessionId: 'sess-z' });

    const deleted = (await app.gql(`mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { ${RECEIPT} } } }`, { id: chatId })).body.data.deleteChat;
    expect(deleted.__typename).toBe('DeleteChatSuccess');
    await deliverDue(app);
    let now = await receipt(app, deleted.receipt.id);
    expect(now.status).toBe('PENDING');
    expect(now.completedAt).toBeNull();
    expect(now.copies).toHaveLength(1);
    expect(now.copies[0]).toMatchObject({ targetId, name: 'memory elsewhere', status: 'PENDING', attempts: 1, completedAt: null });
    const lastError = now.copies[0].lastError as string;
    expect(lastError).toMatch(/^Redis target unreachable: /);
    expect(lastError).toContain('ECONNREFUSED');
    expect(lastError).not.toContain('s3cretpw');
    expect(lastError).not.toContain(url);
    // Retried after its 1 s pause, still without the password anywhere the tenant or the operator sees.
    app.clock.advance(1_000);
    await deliverDue(app);
    now = await receipt(app, deleted.receipt.id);
    expect(now.copies[0]).toMatchObject({ status: 'PENDING', attempts: 2 });
    expect(JSON.stringify(now)).not.toContain('s3cretpw');
    const retryLogs = logs.filter((line) => line.includes('retrying with backoff'));
    expect(retryLogs).toHaveLength(2);
    // The log names the target (so its silence about the password means something), without the password.
    expect(JSON.parse(retryLogs[0]!)).toMatchObject({ targetId, attempts: 1, error: lastError });
    expect(JSON.parse(retryLogs[0]!).target).toContain(`127.0.0.1:${port}`);
    expect(logs.join('\n')).not.toContain('s3cretpw');
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
