import { randomBytes } from 'node:crypto';
import { type Socket, createServer, connect as tcpConnect } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEL_CHUNK, RedisEraser } from '../../src/copies/redis-eraser.ts';
import type { CopyTarget, ErasedRow, ErasureEvent } from '../../src/domain/copy-erasure.ts';

// Against a real Redis: the eraser deletes exactly the keys a pattern names, in chunks,
// over one connection per target, and a target that is down, silent or refusing fails
// fast without showing the URL's password.

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function missingRedis(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
    return undefined;
  } catch (error) {
    return `Redis at ${REDIS_URL} is not reachable (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
}

const missing = await missingRedis();
if (missing) console.warn(`SKIPPED Redis eraser tests: ${missing}`);

const PREFIX = `eraser-test:${randomBytes(6).toString('hex')}:`;

function event(rows: ErasedRow[]): ErasureEvent {
  return {
    id: 'e0000000-0000-4000-8000-000000000000',
    receiptId: 'r0000000-0000-4000-8000-000000000000',
    flowId: 'f0000000-0000-4000-8000-000000000000',
    chatIds: [...new Set(rows.map((row) => row.chatId))],
    threadIds: [],
    sessionIds: [],
    messageIds: null,
    rows,
    erasedAt: '2026-12-01T12:00:00.000Z',
  };
}

/** An event of one row: session s1 of chat c1, without a thread. */
const oneSession = () => event([{ chatId: 'c1', threadId: null, sessionId: 's1' }]);

const target = (keyPattern: string, url = REDIS_URL): CopyTarget => ({ kind: 'REDIS', url, keyPattern, secret: null });

const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
};

const waitFor = async (ok: () => boolean) => {
  const deadline = Date.now() + 3000;
  while (!ok() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
};

/** A TCP server on 127.0.0.1 that tracks its sockets, so closing it does not wait on them. */
async function listen(onSocket: (socket: Socket) => void) {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    accepted: () => accepted,
    open: () => sockets.size,
    dropAll: () => sockets.forEach((socket) => socket.destroy()),
    close: () => {
      sockets.forEach((socket) => socket.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port where nothing listens. */
async function closedPort(): Promise<number> {
  const server = await listen(() => {});
  await server.close();
  return server.port;
}

describe.skipIf(missing !== undefined)(`RedisEraser on a real Redis${missing ? ` (SKIPPED: ${missing})` : ''}`, () => {
  let redis: Redis;
  const erasers: RedisEraser[] = [];
  const newEraser = (...args: ConstructorParameters<typeof RedisEraser>) => {
    const eraser = new RedisEraser(...args);
    erasers.push(eraser);
    return eraser;
  };

  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    await Promise.all(erasers.splice(0).map((eraser) => eraser.close()));
  });

  afterAll(async () => {
    const left: string[] = [];
    for await (const keys of redis.scanStream({ match: `${PREFIX}*`, count: 1000 })) left.push(...(keys as string[]));
    for (let i = 0; i < left.length; i += 500) await redis.del(...left.slice(i, i + 500));
    redis.disconnect();
  });

  it('deletes exactly the keys the pattern names and leaves their neighbours', async () => {
    const k = (rest: string) => `${PREFIX}named:${rest}`;
    await redis.set(k('memory:s1'), 'a');
    await redis.hset(k('memory:s2'), 'f', 'another session');
    await redis.rpush(k('thread:c1:t1'), 'x', 'y');
    await redis.set(k('thread:c1:t2'), 'another thread');
    await redis.set(k('thread:c2:t1'), 'another chat');
    const rows: ErasedRow[] = [
      { chatId: 'c1', threadId: 't1', sessionId: 's1' },
      { chatId: 'c1', threadId: 't1', sessionId: null },
    ];
    const eraser = newEraser();

    await eraser.erase(target(k('memory:{sessionId}')), event(rows));
    await eraser.erase(target(k('thread:{chatId}:{threadId}')), event(rows));
    // A row without a thread names no key of a pattern that needs one.
    const threadless = event([{ chatId: 'c2', threadId: null, sessionId: 's2' }]);
    await eraser.erase(target(k('thread:{chatId}:{threadId}')), threadless);

    const left = (await redis.keys(`${PREFIX}named:*`)).sort();
    expect(left).toEqual([k('memory:s2'), k('thread:c1:t2'), k('thread:c2:t1')].sort());
  });

  it('deletes 1,200 keys in DELs of at most 500', async () => {
    const rows = Array.from({ length: 1200 }, (_, i) => ({ chatId: 'c1', threadId: 't1', sessionId: `s${i}` }));
    const keys = rows.map((row) => `${PREFIX}many:${row.sessionId}`);
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.set(key, '1');
    await pipeline.exec();
    expect(await redis.exists(...keys)).toBe(1200);

    const monitor = await new Redis(REDIS_URL).monitor();
    const dels: number[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'del' && args[1]?.startsWith(`${PREFIX}many:`)) dels.push(args.length - 1);
    });
    try {
      await newEraser().erase(target(`${PREFIX}many:{sessionId}`), event(rows));
      await waitFor(() => dels.length === 3);
    } finally {
      monitor.disconnect();
    }

    expect(DEL_CHUNK).toBe(500);
    expect(dels).toEqual([500, 500, 200]);
    expect(await redis.exists(...keys)).toBe(0);
  });

  it('uses one connection per target across erases, and makes a new one once it is gone', async () => {
    const { hostname, port } = new URL(REDIS_URL);
    // A relay to the real Redis that counts the connections made through it.
    const relay = await listen((client) => {
      const upstream = tcpConnect(Number(port || 6379), hostname);
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    const key = `${PREFIX}reuse:s1`;
    const eraseThroughRelay = async () => {
      await redis.set(key, '1');
      await eraser.erase(target(`${PREFIX}reuse:{sessionId}`, `redis://127.0.0.1:${relay.port}`), oneSession());
      expect(await redis.exists(key)).toBe(0);
    };
    const eraser = newEraser();
    try {
      await eraseThroughRelay();
      await eraseThroughRelay();
      expect(relay.accepted()).toBe(1);

      relay.dropAll();
      await waitFor(() => relay.open() === 0);
      await eraseThroughRelay();
      expect(relay.accepted()).toBe(2);

      await eraser.close();
      await waitFor(() => relay.open() === 0);
      expect(relay.open()).toBe(0);
    } finally {
      await relay.close();
    }
  });

  it('rejects at once, without the password, when nothing listens at the target', async () => {
    const down = target(`${PREFIX}down:{sessionId}`, `redis://:s3cret@127.0.0.1:${await closedPort()}`);
    const eraser = newEraser();
    const started = Date.now();
    const error = await rejection(eraser.erase(down, oneSession()));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(error.message).toMatch(/^Redis target unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    expect(error.message).not.toContain('s3cret');

    // The worker's retry connects again rather than meeting a client left closed.
    const again = await rejection(eraser.erase(down, oneSession()));
    expect(again.message).toMatch(/^Redis target unreachable: connect ECONNREFUSED/);
  });

  it('rejects after the command timeout when the target accepts but never answers', async () => {
    const silent = await listen(() => {});
    try {
      // Without a password the DEL waits for its answer; with one, the AUTH before it does.
      for (const url of [`redis://127.0.0.1:${silent.port}`, `redis://:s3cret@127.0.0.1:${silent.port}`]) {
        const started = Date.now();
        const error = await rejection(
          newEraser({ commandTimeoutMs: 300 }).erase(target(`${PREFIX}silent:{sessionId}`, url), oneSession()),
        );
        expect(Date.now() - started).toBeLessThan(1000);
        expect(error.message).toBe('Redis target unreachable: Command timed out');
      }
    } finally {
      await silent.close();
    }
  });

  it('rejects with the reply when the target answers the DEL with an error', async () => {
    // Stands in for a Redis whose ACL forbids the keys: the eraser's first command is the DEL.
    const refusing = await listen((socket) => {
      socket.on('data', () => socket.write('-NOPERM No permissions to access a key\r\n'));
    });
    try {
      const error = await rejection(
        newEraser().erase(target(`${PREFIX}refused:{sessionId}`, `redis://127.0.0.1:${refusing.port}`), oneSession()),
      );
      expect(error.message).toBe('Redis target refused: NOPERM No permissions to access a key');
    } finally {
      await refusing.close();
    }
  });

  it('erases nothing, and connects nowhere, when the pattern names no key', async () => {
    const down = target(`${PREFIX}none:{sessionId}`, `redis://127.0.0.1:${await closedPort()}`);
    await newEraser().erase(down, event([{ chatId: 'c1', threadId: 't1', sessionId: null }]));
  });

  it('refuses a target without a key pattern', async () => {
    const error = await rejection(newEraser().erase({ ...target(''), keyPattern: null }, oneSession()));
    expect(error.message).toBe('Redis target has no key pattern');
  });
});
