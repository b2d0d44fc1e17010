import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';

const root = new URL('../..', import.meta.url).pathname;
const bin = `${root}bin/chat-gateway.js`;

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Why the tests of PostgreSQL alone cannot run here, or undefined when it answers. */
export async function postgresMissing(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${PG_URL} is not reachable (${(error as Error).message})`;
  }
}

/** Why the multi-replica tests cannot run here, or undefined when PostgreSQL and Redis answer. */
export async function missingServices(): Promise<string | undefined> {
  const pgMissing = await postgresMissing();
  if (pgMissing) return pgMissing;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `Redis at ${REDIS_URL} is not reachable (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
  return undefined;
}

/** A fresh schema of the shared database, selected through the connection's search_path. */
export async function freshSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `r_${randomBytes(6).toString('hex')}`;
  const run = async (text: string) => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(text);
    await client.end();
  };
  await run(`create schema ${schema}`);
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => run(`drop schema if exists ${schema} cascade`) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export function createKey(env: Record<string, string>): string {
  const out = execFileSync('node', [bin, 'create-key', '--tenant', 'replicas', '--name', 'replica-test'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return out.trim().split('\n').at(-1)!;
}

export interface Replica {
  url: string;
  process: ChildProcess;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: the replica dies without a word. */
  kill(): Promise<void>;
}

/** A gateway server in its own process (the real `chat-gateway serve`), ready to answer. */
export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const child = spawn('node', [bin, 'serve'], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('serving')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited with ${code}:\n${output}`));
    });
  });
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return { url: `http://127.0.0.1:${port}`, process: child, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

/** A GraphQL request to one replica, as a client with `key` sends it. */
export async function gqlOn(replica: Replica, key: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${replica.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

export interface ReplicaPair {
  a: Replica;
  b: Replica;
  key: string;
  /** The settings both replicas run with (DATABASE_URL and REDIS_URL among them), for more. */
  env: Record<string, string>;
  /** Stops both replicas and drops their schema. */
  stop(): Promise<void>;
}

/**
 * Two replicas of the real server on one fresh PostgreSQL schema and the shared Redis,
 * with `env` besides, and an API key both accept.
 */
export async function twoReplicas(env: Record<string, string> = {}): Promise<ReplicaPair> {
  const schema = await freshSchema();
  const settings = { DATABASE_URL: schema.url, REDIS_URL, ...env };
  const key = createKey(settings);
  const a = await startReplica(settings);
  const b = await startReplica(settings);
  return {
    a,
    b,
    key,
    env: settings,
    async stop() {
      await a.stop();
      await b.stop();
      await schema.drop();
    },
  };
}

/** A new flow, with a chat and one thread, made through `replica`. */
export async function newThread(replica: Replica, key: string): Promise<{ flowId: string; chatId: string; threadId: string }> {
  const flow = await gqlOn(replica, key, `mutation { createFlow(input: { name: "f", type: CHATFLOW }) { ... on CreateFlowSuccess { flow { id } } } }`);
  const flowId = flow.data.createFlow.flow.id as string;
  const chat = await gqlOn(replica, key, `mutation($f: ID!) { createChat(input: { flowId: $f }) { ... on CreateChatSuccess { chat { id } } } }`, { f: flowId });
  const chatId = chat.data.createChat.chat.id as string;
  const thread = await gqlOn(replica, key, `mutation($c: ID!) { createThread(input: { chatId: $c }) { ... on CreateThreadSuccess { thread { id } } } }`, { c: chatId });
  return { flowId, chatId, threadId: thread.data.createThread.thread.id as string };
}
