// Issue 16: a small deleteChat with one webhook erasure target on its flow, against the
// same delete with none.
//
//   npx tsx bench/erasure-targets.ts [--rounds 3] [--duration 10] [--connections 16] [--chats N] [--engines sqlite,postgres] [--profile]
//
// A permanent delete in a flow with erasure targets reads, in its transaction, which
// threads, sessions and messages it erases and writes one outbox row per target; after the
// commit the server's worker POSTs the signed event (the delete never waits for it). Target:
// with one WEBHOOK target on the flow, throughput stays within 10 % of no target.
//
// Two servers as shipped, each in its own process on its own identical copy of the data
// (SQLite: a file copy; PostgreSQL: a fresh schema each, selected by `options=-c
// search_path` as test/replicas/processes.ts does, filled by the same SQL): A with no
// target, B with one WEBHOOK target (added through GraphQL with an admin key made by
// `chat-gateway create-key`) pointing at a receiver on loopback, in its own process, that
// reads HTTP/1.1 off the socket, checks each signature, counts the events and answers 204
// (it stands for a system on another machine, so it takes as little CPU as it can). The same
// requests (deleteChat of chats of one thread of 5 messages with a session id, 16 clients
// through autocannon, a different chat per request); rounds alternate A and B (A,B then
// B,A ...), 2 s warm-up then DURATION s measured; the verdict takes the median round of
// each. After each B run the bench waits until every answered delete's event has arrived
// before the next run: the backlog when the load stopped, and when the last event came
// after the last answer. Server CPU per delete is read from /proc, the process's and its main
// thread's (the event loop's, which bounds throughput) (and, on PostgreSQL,
// that of every postgres process: other work on the cluster counts too).
//
// The servers run the product's CLI (`serve`) bundled as `npm run build` does, started with
// the node flags of `npm run serve` (bench/lib/shipped.ts): bench/lib/ours-server.ts builds
// its config from fixed values, so ERASURE_TARGET_HOSTS would not reach it. Env:
// ERASURE_TARGET_HOSTS=127.0.0.1, RATE_LIMIT_WRITES_PER_MINUTE=0, the rest as shipped (the
// purge timer too). Then, where the time goes: each side again from the sources (createApp
// + listen under tsx, in its own process) with every statement timed through onQuery, the
// statements of one delete alone, and a short load with the outbox worker's statements
// apart; --profile adds a load under the V8 CPU profiler on each side.
//
// On PostgreSQL both sides take the one-statement fast path (src/data/postgres/delete-chat-at-once.ts),
// which on B also writes the outbox entry; the statement counts show what each side runs.
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { type Socket, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { serveRpc } from './lib/child-runtime.ts';
import { benchSchemas, checkIds, insertPgChats } from './lib/postgres.ts';
import { type ProfileSummary, printProfile, summariseProfile } from './lib/profile.ts';
import { KIND, benchId, copyDatabase, createBenchDatabase, finishLoad, insertChats, openForLoad } from './lib/seed.ts';
import { mainThreadCpu, postgresCpu, postgresCpuSince, processCpu } from './lib/proc-cpu.ts';
import { shippedNodeFlags } from './lib/shipped.ts';
import { BENCH_KEY, HttpClient, ROOT, flagArg, fmt, heading, intArg, percentile, reportLoad, sleep, table, tempDir, verdict } from './lib/util.ts';

const ROUNDS = intArg('rounds', 3);
const DURATION = intArg('duration', 10);
const CONNECTIONS = intArg('connections', 16);
const WARMUP = 2;
const PROFILE = flagArg('profile');
const MESSAGES_PER_CHAT = 5;
/** Room for up to 2,500 deletes/s on each side for every round, plus the timed load. */
const CHATS = intArg('chats', ROUNDS * (WARMUP + DURATION) * 2_500 + 20_000);
const SECRET = 'whsec_bench_secret_0123';
/** How long the bench waits for the deliveries to catch up after a B run. */
const DRAIN_TIMEOUT_MS = 120_000;
const ENGINES = (() => {
  const i = process.argv.indexOf('--engines');
  return (i >= 0 ? process.argv[i + 1]! : 'sqlite,postgres').split(',').map((s) => s.trim());
})();

const DELETE = `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { chatId deletedMessageCount deletedThreadCount } ... on Error { message } } }`;
const ADD_TARGET = `mutation($flowId: ID!, $url: String!, $secret: String!) {
  addErasureTarget(input: { flowId: $flowId, kind: WEBHOOK, name: "bench", url: $url, secret: $secret }) { __typename ... on Error { message } }
}`;

// ---------------------------------------------------------------------------------------
// The receiver (this file run with --receiver, in its own process).

interface ReceiverStats {
  /** POSTs received (repeats included). */
  posts: number;
  /** Distinct events (by id). */
  events: number;
  repeats: number;
  badSignature: number;
  malformed: number;
  wrongPath: number;
  /** Date.now() at the arrival of the last new event. */
  lastArrival: number;
  /** From the delete's erasedAt to the arrival, ms, of the events from index `from` on. */
  latency: { count: number; p50: number; p99: number; max: number };
}

function runReceiver(): void {
  const eventIds = new Set<string>();
  /** Each chat an event named, with the first arrival. */
  const chatArrivals = new Map<string, number>();
  const latencies: number[] = [];
  const counts = { posts: 0, repeats: 0, badSignature: 0, malformed: 0, wrongPath: 0, lastArrival: 0 };
  const receive = (path: string, signatureHeader: string, body: string) => {
    const at = Date.now();
    counts.posts++;
    if (path !== '/hook') counts.wrongPath++;
    const signature = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signatureHeader);
    if (!signature || createHmac('sha256', SECRET).update(`${signature[1]}.${body}`).digest('hex') !== signature[2]) counts.badSignature++;
    try {
      const event = JSON.parse(body) as { id: string; chatIds: string[]; erasedAt: string };
      if (eventIds.has(event.id)) counts.repeats++;
      else {
        eventIds.add(event.id);
        for (const id of event.chatIds) if (!chatArrivals.has(id)) chatArrivals.set(id, at);
        latencies.push(at - Date.parse(event.erasedAt));
        counts.lastArrival = at;
      }
    } catch {
      counts.malformed++;
    }
  };
  // HTTP/1.1 read straight off the socket (kept-alive POSTs with a Content-Length, which is
  // what the product sends; anything else closes the connection): the receiver stands for a
  // system on another machine, so it should take as little of this one's CPU as it can.
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? Number.NaN);
        if (!head.startsWith('POST ') || !Number.isFinite(length)) return void socket.destroy();
        if (buffered.length < end + 4 + length) return;
        const body = buffered.subarray(end + 4, end + 4 + length).toString('utf8');
        buffered = buffered.subarray(end + 4 + length);
        receive(head.slice(5, head.indexOf(' ', 5)), /\r\nchat-gateway-signature: *([^\r]*)/i.exec(head)?.[1] ?? '', body);
        socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      }
    });
    socket.on('error', () => socket.destroy());
  });
  server.listen(0, '127.0.0.1', () => {
    serveRpc(
      {
        stats: (m: { from?: number }): ReceiverStats => {
          const since = latencies.slice(m.from ?? 0);
          return {
            ...counts,
            events: eventIds.size,
            latency: { count: since.length, p50: percentile(since, 50), p99: percentile(since, 99), max: since.length ? Math.max(...since) : Number.NaN },
          };
        },
        // Each engine's chats have the same ids: its counts start over.
        reset: () => {
          eventIds.clear();
          chatArrivals.clear();
          latencies.length = 0;
          Object.assign(counts, { posts: 0, repeats: 0, badSignature: 0, malformed: 0, wrongPath: 0, lastArrival: 0 });
          return true;
        },
        check: (m: { ids: string[] }): Check => {
          let missing = 0;
          let lastArrival = 0;
          for (const id of m.ids) {
            const at = chatArrivals.get(id);
            if (at === undefined) missing++;
            else lastArrival = Math.max(lastArrival, at);
          }
          return { missing, lastArrival };
        },
      },
      async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    );
    process.send?.({ type: 'ready', url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook` });
  });
}

/** Of the chats given: how many no event named yet, and when the last of the others' events came. */
interface Check {
  missing: number;
  lastArrival: number;
}

interface Receiver {
  url: string;
  pid: number;
  stats(from?: number): Promise<ReceiverStats>;
  check(ids: string[]): Promise<Check>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** This file in another mode (`--receiver`, `--timed-server`), in its own process under tsx, driven over IPC. */
async function forkSelf(mode: string, options: { env?: Record<string, string>; log?: string } = {}) {
  const out = options.log ? openSync(options.log, 'a') : 'inherit';
  const child = fork(fileURLToPath(import.meta.url), [mode], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', out, 'inherit', 'ipc'],
  });
  if (typeof out === 'number') closeSync(out);
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  const pending = new Map<number, (value: unknown) => void>();
  let next = 0;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${mode} exited with code ${code} before it was ready`)));
    child.on('message', (m: any) => {
      if (m?.type === 'ready') resolve(m.url as string);
      else if (typeof m?.rpcId === 'number') {
        pending.get(m.rpcId)?.(m.result);
        pending.delete(m.rpcId);
      }
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url,
    pid: child.pid!,
    rpc: <T>(type: string, payload: Record<string, unknown> = {}) =>
      new Promise<T>((resolve) => {
        const rpcId = next++;
        pending.set(rpcId, resolve as (value: unknown) => void);
        child.send({ rpcId, type, ...payload });
      }),
    async stop() {
      if (child.exitCode === null) child.send({ rpcId: -1, type: 'stop' });
      await exited;
      process.removeListener('exit', kill);
    },
  };
}

async function startReceiver(): Promise<Receiver> {
  const child = await forkSelf('--receiver');
  return {
    url: child.url,
    pid: child.pid,
    stats: (from = 0) => child.rpc<ReceiverStats>('stats', { from }),
    check: (ids) => child.rpc<Check>('check', { ids }),
    reset: () => child.rpc('reset'),
    stop: () => child.stop(),
  };
}

// ---------------------------------------------------------------------------------------
// The product as shipped: its CLI bundled as `npm run build` does, run with `npm run serve`'s flags.

let bundled: string | undefined;

function shippedCli(): string {
  if (bundled) return bundled;
  const build = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.build!;
  const words = build.split(/\s+/);
  const entry = words.slice(words.indexOf('esbuild') + 1).find((w) => !w.startsWith('--'))!;
  const options = words.filter((w) => w.startsWith('--') && !w.startsWith('--outfile'));
  // bench/tmp is ignored by git; the bundle sits inside the repository so its packages resolve.
  const dir = join(ROOT, 'bench', 'tmp');
  const made = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `.erasure-targets-cli.${process.pid}.mjs`);
  execFileSync(join(ROOT, 'node_modules', '.bin', 'esbuild'), [join(ROOT, entry), ...options, `--outfile=${file}`], { cwd: ROOT });
  process.once('exit', () => {
    for (const f of [file, `${file}.map`]) rmSync(f, { force: true });
    if (made && readdirSync(dir).length === 0) rmdirSync(dir);
  });
  bundled = file;
  return file;
}

/** The receiver's process, whose CPU each load reads too. */
let receiverPid: number | undefined;

const SERVER_ENV = { ERASURE_TARGET_HOSTS: '127.0.0.1', RATE_LIMIT_WRITES_PER_MINUTE: '0' };

/** `chat-gateway <args>` as shipped, against `databaseUrl`; its stdout. */
function cli(databaseUrl: string, args: string[]): string {
  return execFileSync(process.execPath, [...shippedNodeFlags(), shippedCli(), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...SERVER_ENV, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
}

/** A new key of tenant "bench" (the CLI prints it last). */
function createKey(databaseUrl: string, name: string, scopes: string): string {
  return cli(databaseUrl, ['create-key', '--tenant', 'bench', '--name', name, '--scopes', scopes]).trim().split('\n').at(-1)!;
}

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** `chat-gateway serve` in its own process, its output (request logs at info) to `log`. */
async function startCliServer(databaseUrl: string, log: string): Promise<Server> {
  const port = await freePort();
  const fd = openSync(log, 'a');
  const child: ChildProcess = spawn(process.execPath, [...shippedNodeFlags(), shippedCli(), 'serve'], {
    cwd: ROOT,
    env: { ...process.env, ...SERVER_ENV, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', fd, 'inherit'],
  });
  closeSync(fd);
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.once('exit', (code) => ((exitCode = code), resolve())));
  const kill = () => exitCode === undefined && child.kill('SIGKILL');
  process.once('exit', kill);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exitCode !== undefined) throw new Error(`the server exited with code ${exitCode} before it was ready (see ${log})`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not answer /healthz within 30 s (see ${log})`);
    await sleep(100);
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(kill, 15_000);
      await exited;
      clearTimeout(timer);
      process.removeListener('exit', kill);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Load.

interface Side {
  name: 'A' | 'B';
  label: string;
  server: Server;
  key: string;
  next: number;
  /** Chats answered as deleted, every run (warm-ups too). */
  deleted: string[];
  lastOkAt: number;
  runs: Run[];
}

interface Run {
  round: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  requests: number;
  ok: number;
  failed: number;
  durationMs: number;
  serverCpuMs: number;
  /** Of serverCpuMs, the main thread's: what bounds the throughput. */
  mainCpuMs: number;
  postgresCpuMs: number;
  /** The receiver process's CPU during the run, per delete (B: its share of the machine). */
  receiverCpuMs: number;
  /** B: events not yet received when the load stopped. */
  backlog?: number;
  /** B: from the last delete's answer to the arrival of the last event, ms. */
  lagMs?: number;
  /** B: server CPU between the end of the load and the last event, per delete of the run. */
  drainCpuMs?: number;
  delivery?: ReceiverStats['latency'];
  undelivered?: number;
}

async function load(side: Side, seconds: number, round: number, pgCpu: boolean): Promise<Run> {
  let ok = 0;
  let failed = 0;
  const examples = new Map<string, number>();
  const request: autocannon.Request = {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', 'x-api-key': side.key },
    setupRequest: (req: any, context: Record<string, unknown>) => {
      // One request in flight per connection: the context names its chat.
      context.id = benchId(KIND.chat, side.next++);
      req.body = JSON.stringify({ query: DELETE, variables: { id: context.id } });
      return req;
    },
    onResponse: (status: number, body: string, context: Record<string, unknown>) => {
      let result: any;
      try {
        result = status === 200 ? JSON.parse(body).data?.deleteChat : undefined;
      } catch {
        // counted below
      }
      if (result?.__typename === 'DeleteChatSuccess' && result.chatId === context.id && result.deletedMessageCount === MESSAGES_PER_CHAT) {
        ok++;
        side.deleted.push(result.chatId as string);
        side.lastOkAt = Date.now();
      } else {
        failed++;
        const what = `${status} ${body.slice(0, 200)}`;
        examples.set(what, (examples.get(what) ?? 0) + 1);
      }
    },
  };
  const cpu0 = processCpu(side.server.pid)?.ms ?? Number.NaN;
  const main0 = mainThreadCpu(side.server.pid);
  const pg0 = pgCpu ? postgresCpu() : new Map<string, number>();
  const receiver0 = receiverPid ? (processCpu(receiverPid)?.ms ?? Number.NaN) : Number.NaN;
  const result = await autocannon({ url: side.server.url, connections: CONNECTIONS, duration: seconds, requests: [request] });
  const cpu1 = processCpu(side.server.pid)?.ms ?? Number.NaN;
  const main1 = mainThreadCpu(side.server.pid);
  const receiver1 = receiverPid ? (processCpu(receiverPid)?.ms ?? Number.NaN) : Number.NaN;
  const pgMs = pgCpu ? postgresCpuSince(pg0) : Number.NaN;
  if (failed > 0) {
    console.warn(`  ${side.name}: ${failed} requests did not delete their chat; the answers:`);
    for (const [what, n] of [...examples].slice(0, 5)) console.warn(`    ${n} x ${what}`);
  }
  if (side.next - 1 > CHATS) console.warn(`  ${side.name}: ran out of chats (${side.next - 1} > ${CHATS}): rerun with --chats ${2 * CHATS}`);
  return {
    round,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    ok,
    failed: failed + result.errors + result.timeouts,
    durationMs: result.duration * 1000,
    serverCpuMs: (cpu1 - cpu0) / Math.max(1, ok),
    mainCpuMs: (main1 - main0) / Math.max(1, ok),
    postgresCpuMs: pgMs / Math.max(1, ok),
    receiverCpuMs: (receiver1 - receiver0) / Math.max(1, ok),
  };
}

/**
 * Waits until the receiver has an event for every delete B answered since `firstId` (its
 * warm-up and this run); what the wait saw. (A delete autocannon cut off when the load
 * stopped may still commit and send its event: events are counted by the deletes answered.)
 */
async function drain(side: Side, receiver: Receiver, run: Run, firstId: number, from: number): Promise<void> {
  const ids = side.deleted.slice(firstId);
  const lastOkAt = side.lastOkAt;
  let check = await receiver.check(ids);
  run.backlog = check.missing;
  const cpu0 = processCpu(side.server.pid)?.ms ?? Number.NaN;
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while (check.missing > 0 && Date.now() < deadline) {
    await sleep(20);
    check = await receiver.check(ids);
  }
  const cpu1 = processCpu(side.server.pid)?.ms ?? Number.NaN;
  run.lagMs = check.lastArrival - lastOkAt;
  run.drainCpuMs = (cpu1 - cpu0) / Math.max(1, run.ok);
  run.delivery = (await receiver.stats(from)).latency;
  run.undelivered = check.missing;
  if (check.missing > 0) console.warn(`  B: ${check.missing} of ${ids.length} answered deletes had no event ${DRAIN_TIMEOUT_MS / 1000} s after the load`);
}

// ---------------------------------------------------------------------------------------
// Where the time goes: the same server (createApp + listen, from the sources under tsx) in
// its own process, every statement timed through createApp's onQuery (Kysely's timing).

interface Timed {
  sql: string;
  count: number;
  totalMs: number;
  maxMs: number;
}

function runTimedServer(): void {
  void (async () => {
    const { createApp } = await import('../src/app.ts');
    const { loadConfig } = await import('../src/config/config.ts');
    const { listen } = await import('../src/server.ts');
    let byStatement = new Map<string, Timed>();
    let order: string[] = [];
    const app = await createApp(
      { ...loadConfig(SERVER_ENV), databaseUrl: process.env.BENCH_DB! },
      {
        purgeTimer: false,
        onQuery: (sql, ms) => {
          if (order.length < 1000) order.push(sql);
          const t = byStatement.get(sql) ?? { sql, count: 0, totalMs: 0, maxMs: 0 };
          t.count++;
          t.totalMs += ms;
          t.maxMs = Math.max(t.maxMs, ms);
          byStatement.set(sql, t);
        },
      },
    );
    const server = await listen(app, 0, '127.0.0.1');
    serveRpc(
      {
        'queries:reset': async () => {
          await app.deps.outbox.idle();
          byStatement = new Map();
          order = [];
          return true;
        },
        'queries:get': async () => {
          await app.deps.outbox.idle();
          return { order, byStatement: [...byStatement.values()] };
        },
      },
      () => server.stop(),
    );
    process.send?.({ type: 'ready', url: server.url });
  })();
}

interface StatementLog {
  /** The statements of one delete alone, its worker's after the commit included, in order. */
  one: string[];
  /** Deletes answered in the timed load. */
  deletes: number;
  reqPerSec: number;
  byStatement: Timed[];
  /** --profile: the V8 CPU profile of a further load, and the deletes it answered. */
  profile?: { summary: ProfileSummary; deletes: number };
}

/** The outbox worker's statements (src/data/outbox.repository.ts, findTargetsByIds). */
const isWorker = (sql: string) => /^update "erasure_deliveries"/.test(sql) || (/from "erasure_targets"/.test(sql) && /"id" in/.test(sql));

const TIMED_SECONDS = 5;

async function timeStatements(side: Side, databaseUrl: string, receiver: Receiver, log: string): Promise<StatementLog> {
  const child = await forkSelf('--timed-server', { env: { BENCH_DB: databaseUrl }, log });
  try {
    const timed: Side = { ...side, server: { url: child.url, pid: child.pid, stop: () => child.stop() }, deleted: [], runs: [] };
    const client = new HttpClient(child.url);
    await child.rpc('queries:reset');
    const { body } = await client.post('/graphql', { query: DELETE, variables: { id: benchId(KIND.chat, timed.next++) } }, { 'x-api-key': side.key });
    client.close();
    if (body?.data?.deleteChat?.__typename !== 'DeleteChatSuccess') throw new Error(`delete failed: ${JSON.stringify(body).slice(0, 300)}`);
    await sleep(100);
    const one = (await child.rpc<{ order: string[] }>('queries:get')).order;
    await load(timed, 1, 0, false);
    await child.rpc('queries:reset');
    const firstId = timed.deleted.length;
    const run = await load(timed, TIMED_SECONDS, 0, false);
    if (side.name === 'B') await drain(timed, receiver, run, firstId, 0);
    const { byStatement } = await child.rpc<{ byStatement: Timed[] }>('queries:get');
    let profile: StatementLog['profile'];
    if (PROFILE) {
      // The CPU profiler (what --cpu-prof runs) over one more load of the same length.
      const file = `${log}.cpuprofile`;
      await child.rpc('profile:start', { intervalUs: 500 });
      const firstProfiled = timed.deleted.length;
      const profiled = await load(timed, TIMED_SECONDS, 0, false);
      await child.rpc('profile:stop', { file });
      if (side.name === 'B') await drain(timed, receiver, profiled, firstProfiled, 0);
      profile = { summary: summariseProfile(file, profiled.durationMs), deletes: profiled.ok };
    }
    side.next = timed.next;
    return { one, deletes: run.ok, reqPerSec: run.reqPerSec, byStatement, profile };
  } finally {
    await child.stop();
  }
}

function printStatements(a: StatementLog, b: StatementLog): void {
  const short = (sql: string, n: number) => (sql.length > n ? `${sql.slice(0, n)}…` : sql);
  for (const [name, c] of [
    ['A (no target)', a],
    ['B (one webhook target)', b],
  ] as const) {
    console.log(`\nSQL statements of one deleteChat alone, ${name}: ${c.one.length} (${c.one.filter(isWorker).length} of them the outbox worker's, after the commit)`);
    for (const sql of c.one) console.log(`  ${isWorker(sql) ? '[worker] ' : ''}${short(sql, 140)}`);
  }
  const sum = (c: StatementLog, worker: boolean) => {
    const mine = c.byStatement.filter((t) => isWorker(t.sql) === worker);
    return [fmt(mine.reduce((n, t) => n + t.count, 0) / c.deletes, 2), fmt(mine.reduce((n, t) => n + t.totalMs, 0) / c.deletes, 3)];
  };
  console.log(
    `\nstatements timed under load (${CONNECTIONS} clients, ${TIMED_SECONDS} s, the server from the sources under tsx in its own process; a statement's ` +
      `time includes waiting for a busy event loop to read its answer):`,
  );
  table([
    ['side', 'deletes/s', 'request statements / delete', 'their SQL ms / delete', 'worker statements / delete', 'their SQL ms / delete'],
    ['A (no target)', fmt(a.reqPerSec, 0), ...sum(a, false), ...sum(a, true)],
    ['B (one webhook target)', fmt(b.reqPerSec, 0), ...sum(b, false), ...sum(b, true)],
  ]);
  const texts = [...new Set([...a.byStatement, ...b.byStatement].map((t) => t.sql))];
  const of = (c: StatementLog, sql: string) => c.byStatement.find((t) => t.sql === sql);
  const cells = (c: StatementLog, sql: string) => {
    const t = of(c, sql);
    return t ? [fmt(t.count / c.deletes, 2), fmt(t.totalMs / t.count, 3), fmt(t.totalMs / c.deletes, 3)] : ['', '', ''];
  };
  console.log('\nby statement, per delete answered:');
  table([
    ['statement', 'A count', 'A avg ms', 'A ms', 'B count', 'B avg ms', 'B ms'],
    ...texts
      .sort((x, y) => (of(b, y)?.totalMs ?? 0) / b.deletes - (of(b, x)?.totalMs ?? 0) / b.deletes)
      .map((sql) => [`${isWorker(sql) ? '[worker] ' : ''}${short(sql, 90)}`, ...cells(a, sql), ...cells(b, sql)]),
  ]);
  if (a.profile && b.profile) printProfiles(a.profile, b.profile);
}

function printProfiles(a: NonNullable<StatementLog['profile']>, b: NonNullable<StatementLog['profile']>): void {
  for (const [name, p] of [
    ['A (no target)', a],
    ['B (one webhook target)', b],
  ] as const) {
    console.log(`\n--- CPU profile, ${name}: ${p.deletes} deletes answered in ${fmt(p.summary.wallMs ?? 0, 0)} ms, ${fmt(p.summary.totalMs / p.deletes, 2)} ms busy per delete ---`);
    printProfile(p.summary);
  }
  const names = [...new Set([...a.summary.packages, ...b.summary.packages].map((x) => x.name))];
  const per = (p: typeof a, name: string) => (p.summary.packages.find((x) => x.name === name)?.selfMs ?? 0) / p.deletes;
  console.log('\nmain-thread self time per delete answered, by package (ms; the top 15 of each side):');
  table([
    ['package', 'A', 'B', 'B - A'],
    ['(all busy time)', fmt(a.summary.totalMs / a.deletes, 3), fmt(b.summary.totalMs / b.deletes, 3), fmt(b.summary.totalMs / b.deletes - a.summary.totalMs / a.deletes, 3)],
    ...names
      .sort((x, y) => per(b, y) - per(a, y) - (per(b, x) - per(a, x)))
      .map((name) => [name, fmt(per(a, name), 3), fmt(per(b, name), 3), fmt(per(b, name) - per(a, name), 3)]),
  ]);
}

/**
 * One webhook delivery alone, without the database: the product's WebhookEraser sending
 * events like B's to the receiver, 16 at a time, from this process; its CPU per event (all
 * threads), and of that the event loop's (its busy time). Chat ids of another family
 * (0xe), so they match no delete.
 */
interface DeliveryCost {
  events: number;
  cpuMs: number;
  loopMs: number;
  wallMs: number;
}

async function deliveryCost(receiver: Receiver, events: number): Promise<{ product: DeliveryCost; http: DeliveryCost }> {
  const { WebhookEraser } = await import('../src/copies/webhook-eraser.ts');
  const eraser = new WebhookEraser({ now: () => new Date() });
  const target = { kind: 'WEBHOOK' as const, url: receiver.url, keyPattern: null, secret: SECRET };
  let next = 0;
  const one = async () => {
    const i = ++next;
    const chatId = benchId(0xe, i);
    const threadId = benchId(0xe, 1_000_000 + i);
    await eraser.erase(target, {
      id: randomUUID(),
      receiptId: randomUUID(),
      flowId: benchId(KIND.flow, 1),
      chatIds: [chatId],
      threadIds: [threadId],
      sessionIds: [`session-${i}`],
      messageIds: Array.from({ length: MESSAGES_PER_CHAT }, (_, m) => benchId(0xe, 2_000_000 + i * MESSAGES_PER_CHAT + m)),
      rows: [{ chatId, threadId, sessionId: `session-${i}` }],
      erasedAt: new Date().toISOString(),
    });
  };
  const measure = async (send: () => Promise<void>) => {
    const pass = async (n: number) => {
      let left = n;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          while (left-- > 0) await send();
        }),
      );
    };
    await pass(500);
    const cpu = process.cpuUsage();
    const loop = performance.eventLoopUtilization();
    const t = performance.now();
    await pass(events);
    const used = process.cpuUsage(cpu);
    const busy = performance.eventLoopUtilization(loop);
    return { events, cpuMs: (used.user + used.system) / 1000 / events, loopMs: busy.active / events, wallMs: performance.now() - t };
  };
  const product = await measure(one);
  await eraser.close();
  // For scale, not the product: the same signed body through node:http with a keep-alive agent.
  const { signatureHeader, webhookBody } = await import('../src/copies/webhook-eraser.ts');
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const url = new URL(receiver.url);
  const viaHttp = () =>
    new Promise<void>((resolve, reject) => {
      const i = ++next;
      const body = webhookBody({
        id: randomUUID(),
        receiptId: randomUUID(),
        flowId: benchId(KIND.flow, 1),
        chatIds: [benchId(0xe, i)],
        threadIds: [benchId(0xe, 1_000_000 + i)],
        sessionIds: [`session-${i}`],
        messageIds: Array.from({ length: MESSAGES_PER_CHAT }, (_, m) => benchId(0xe, 2_000_000 + i * MESSAGES_PER_CHAT + m)),
        rows: [],
        erasedAt: new Date().toISOString(),
      });
      const req = httpRequest(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'chat-gateway-signature': signatureHeader(SECRET, body, Math.floor(Date.now() / 1000)) },
        },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode! >= 200 && res.statusCode! < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const http = await measure(viaHttp);
  agent.destroy();
  return { product, http };
}

// ---------------------------------------------------------------------------------------
// Data.

interface Engine {
  name: string;
  /** The databases of A and B. */
  urls: { A: string; B: string };
  /** The key the deletes use, on each (read, write, delete). */
  keys: { A: string; B: string };
  flowId: string;
  postgres: boolean;
  cleanUp(): void;
}

async function sqliteEngine(dir: string): Promise<Engine> {
  const pristine = join(dir, 'pristine.db');
  const b = await createBenchDatabase(pristine);
  const db = openForLoad(pristine);
  insertChats(db, b, { first: 1, count: CHATS, perChat: MESSAGES_PER_CHAT, firstMessage: 1 });
  finishLoad(db);
  const urls = { A: join(dir, 'a.db'), B: join(dir, 'b.db') };
  copyDatabase(pristine, urls.A);
  copyDatabase(pristine, urls.B);
  rmSync(pristine, { force: true });
  return { name: 'SQLite', urls, keys: { A: BENCH_KEY, B: BENCH_KEY }, flowId: b.flowId, postgres: false, cleanUp: () => {} };
}

/** Two fresh schemas of the test database, each with our schema, the keys and the same data. */
async function postgresEngine(): Promise<Engine | undefined> {
  const schemas = await benchSchemas('bench_et');
  if (!schemas) return undefined;
  const { urls } = schemas;
  const keys = { A: '', B: '' };
  const flowId = benchId(KIND.flow, 1);
  for (const side of ['A', 'B'] as const) {
    // The CLI migrates the schema and writes the key as the product does.
    keys[side] = createKey(urls[side], 'bench-key', 'read,write,delete');
    const client = new pg.Client({ connectionString: urls[side] });
    await client.connect();
    const { rows } = await client.query<{ id: string }>(`select id from tenants where name = 'bench'`);
    const tenantId = rows[0]!.id;
    await client.query(`insert into flows (id, tenant_id, name, type, created_at) values ($1, $2, 'Bench flow', 'CHATFLOW', '2025-01-01T00:00:00.000Z')`, [flowId, tenantId]);
    await insertPgChats(client, { tenantId, flowId, count: CHATS, perChat: MESSAGES_PER_CHAT });
    await client.query('vacuum analyze chats, threads, messages');
    await checkIds(client);
    await client.end();
  }
  return { name: 'PostgreSQL', urls, keys, flowId, postgres: true, cleanUp: schemas.cleanUp };
}

// ---------------------------------------------------------------------------------------

interface Outcome {
  engine: string;
  aRuns: Run[];
  bRuns: Run[];
  /** B's deletes (warm-ups included), the distinct events received for them, and those never received. */
  deletes: number;
  receiver: ReceiverStats;
  missing: number;
  statements: { a: StatementLog; b: StatementLog };
}

function pickMedian(runs: Run[]): Run {
  return [...runs].sort((x, y) => x.reqPerSec - y.reqPerSec)[Math.floor((runs.length - 1) / 2)]!;
}

async function benchEngine(engine: Engine, receiver: Receiver, dir: string): Promise<Outcome> {
  await receiver.reset();
  const admin = createKey(engine.urls.B, 'admin', 'read,write,delete,admin');
  // The same key on A too, unused: both databases hold the same rows but for the target.
  createKey(engine.urls.A, 'admin', 'read,write,delete,admin');
  const servers = { A: await startCliServer(engine.urls.A, join(dir, `${engine.name}-a.log`)), B: await startCliServer(engine.urls.B, join(dir, `${engine.name}-b.log`)) };
  try {
    // Only B's flow gets a target.
    const client = new HttpClient(servers.B.url);
    const added = await client.post('/graphql', { query: ADD_TARGET, variables: { flowId: engine.flowId, url: receiver.url, secret: SECRET } }, { 'x-api-key': admin });
    client.close();
    if (added.body?.data?.addErasureTarget?.__typename !== 'AddErasureTargetSuccess') throw new Error(`addErasureTarget failed: ${JSON.stringify(added.body).slice(0, 400)}`);
    console.log(`B: WEBHOOK target added to the flow through addErasureTarget, pointing at the receiver ${receiver.url} (admin key from \`chat-gateway create-key --scopes read,write,delete,admin\`)`);
    const sides: Side[] = (['A', 'B'] as const).map((name) => ({
      name,
      label: name === 'A' ? 'A, no target' : 'B, one webhook target',
      server: servers[name],
      key: engine.keys[name],
      next: 1,
      deleted: [],
      lastOkAt: 0,
      runs: [],
    }));
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? sides : [...sides].reverse();
      for (const side of order) {
        const firstId = side.deleted.length;
        await load(side, WARMUP, round, false);
        const from = (await receiver.stats()).events;
        const run = await load(side, DURATION, round, engine.postgres);
        // The next run starts once every event is in, so it does not share the CPU with B's deliveries.
        if (side.name === 'B') await drain(side, receiver, run, firstId, from);
        side.runs.push(run);
        const delivery =
          side.name === 'B'
            ? `; events: ${run.backlog} of the answered deletes not in when the load stopped, the last ${fmt(run.lagMs!, 0)} ms after the last answer, ` +
              `delete-to-arrival p50 ${fmt(run.delivery!.p50, 0)} / p99 ${fmt(run.delivery!.p99, 0)} ms`
            : '';
        console.log(
          `  round ${round}, ${side.label}: ${fmt(run.reqPerSec, 0)} deletes/s, p50 ${run.p50} / p99 ${run.p99} ms, server CPU ${fmt(run.serverCpuMs, 2)} ms/delete (main thread ${fmt(run.mainCpuMs, 2)})` +
            `${engine.postgres ? `, postgres CPU ${fmt(run.postgresCpuMs, 2)} ms/delete` : ''}, ${run.failed} failed${delivery}`,
        );
      }
    }
    const [A, B] = sides as [Side, Side];
    const stats = await receiver.stats();
    const { missing } = await receiver.check(B.deleted);
    await servers.A.stop();
    await servers.B.stop();
    // Where the time goes: the same databases, on chats neither side has deleted yet.
    A.next = B.next = Math.max(A.next, B.next);
    const statements = {
      a: await timeStatements(A, engine.urls.A, receiver, join(dir, `${engine.name}-a-timed.log`)),
      b: await timeStatements(B, engine.urls.B, receiver, join(dir, `${engine.name}-b-timed.log`)),
    };
    return { engine: engine.name, aRuns: A.runs, bRuns: B.runs, deletes: B.deleted.length, receiver: stats, missing, statements };
  } finally {
    await servers.A.stop();
    await servers.B.stop();
  }
}

function printOutcome(o: Outcome): void {
  heading(`${o.engine}: deleteChat of chats of 1 thread x ${MESSAGES_PER_CHAT} messages, ${CONNECTIONS} clients, ${DURATION} s, ${ROUNDS} alternating rounds`);
  const pgCpu = (r: Run) => (Number.isFinite(r.postgresCpuMs) ? fmt(r.postgresCpuMs, 2) : '');
  table([
    ['round', 'side', 'deletes/s', 'p50 ms', 'p99 ms', 'max ms', 'server CPU ms/delete', 'main thread CPU ms/delete', 'postgres CPU ms/delete', 'receiver CPU ms/delete', 'failed', 'backlog at end', 'last event after last answer', 'delete-to-event p50 / p99 ms'],
    ...o.aRuns.flatMap((a, i) => {
      const b = o.bRuns[i]!;
      return [
        [a.round, 'A', fmt(a.reqPerSec, 0), a.p50, a.p99, a.max, fmt(a.serverCpuMs, 2), fmt(a.mainCpuMs, 2), pgCpu(a), fmt(a.receiverCpuMs, 2), a.failed, '', '', ''],
        [b.round, 'B', fmt(b.reqPerSec, 0), b.p50, b.p99, b.max, fmt(b.serverCpuMs, 2), fmt(b.mainCpuMs, 2), pgCpu(b), fmt(b.receiverCpuMs, 2), b.failed, b.backlog!, `${fmt(b.lagMs!, 0)} ms`, `${fmt(b.delivery!.p50, 0)} / ${fmt(b.delivery!.p99, 0)}`],
      ];
    }),
  ]);
  const a = pickMedian(o.aRuns);
  const b = pickMedian(o.bRuns);
  const ratio = b.reqPerSec / a.reqPerSec;
  const byRound = o.aRuns.map((r, i) => o.bRuns[i]!.reqPerSec / r.reqPerSec);
  const rounds = byRound.map((x) => fmt(x, 3)).join(' / ');
  console.log(ROUNDS > 1 ? `\n(median round of each side by throughput; B / A round by round: ${rounds})` : '');
  table([
    ['figure', 'A: no target', 'B: one webhook target', 'B / A', 'target', 'verdict'],
    ['deleteChat throughput (deletes/s)', fmt(a.reqPerSec, 0), fmt(b.reqPerSec, 0), fmt(ratio, 3), '>= 0.90', verdict(ratio >= 0.9)],
    // Each round's pair ran minutes apart from the others: on a shared machine this one is
    // the less moved by a neighbour's load that comes and goes.
    ['the same, median of the round-by-round ratios', '', '', fmt(percentile(byRound, 50), 3), '(info)', ''],
    ['p50 latency (ms)', a.p50, b.p50, fmt(b.p50 / a.p50, 2), '(info)', ''],
    ['p99 latency (ms)', a.p99, b.p99, fmt(b.p99 / a.p99, 2), '(info)', ''],
    ['server CPU per delete (ms), during the load', fmt(a.serverCpuMs, 2), fmt(b.serverCpuMs, 2), fmt(b.serverCpuMs / a.serverCpuMs, 2), '(info)', ''],
    ['of it, the main thread (ms)', fmt(a.mainCpuMs, 2), fmt(b.mainCpuMs, 2), fmt(b.mainCpuMs / a.mainCpuMs, 2), '(info)', ''],
    ['server CPU per delete (ms), after the load until the last event', '', fmt(b.drainCpuMs!, 3), '', '(info)', ''],
    ...(Number.isFinite(a.postgresCpuMs) ? [['postgres CPU per delete (ms)', fmt(a.postgresCpuMs, 2), fmt(b.postgresCpuMs, 2), fmt(b.postgresCpuMs / a.postgresCpuMs, 2), '(info)', '']] : []),
  ]);
  const r = o.receiver;
  console.log(
    `\ndeliveries: ${r.events.toLocaleString('en-US')} distinct events received for ${o.deletes.toLocaleString('en-US')} deletes B answered (warm-ups included; ` +
      `the rest: deletes cut off when a load stopped; ${o.missing} answered deletes without an event, ${r.repeats} repeats, ${r.badSignature} bad signatures, ${r.malformed} malformed, ${r.wrongPath} to another path); ` +
      `the last event after the last answer of each run (negative: before it; an answer waits for the WAL checkpoint on SQLite): ${o.bRuns.map((x) => `${fmt(x.lagMs!, 0)} ms`).join(', ')}; ` +
      `events not in when the load stopped: ${o.bRuns.map((x) => x.backlog).join(', ')}`,
  );
  printStatements(o.statements.a, o.statements.b);
  const bad = [...o.aRuns, ...o.bRuns].filter((x) => x.failed > 0 || (x.undelivered ?? 0) > 0);
  if (bad.length > 0 || o.missing > 0) console.log(`\nWARNING: failed requests or events that never arrived: those figures are not valid.`);
}

async function main() {
  const dir = tempDir('erasure-targets');
  shippedCli();
  const receiver = await startReceiver();
  receiverPid = receiver.pid;
  const outcomes: Outcome[] = [];
  const engines: Engine[] = [];
  try {
    for (const name of ENGINES) {
      const t = performance.now();
      const engine = name === 'sqlite' ? await sqliteEngine(dir) : name === 'postgres' ? await postgresEngine() : undefined;
      if (!engine) continue;
      engines.push(engine);
      console.log(`\n${engine.name}: ${CHATS.toLocaleString('en-US')} chats x ${MESSAGES_PER_CHAT} messages (one thread, one session each) on each side, ready in ${fmt((performance.now() - t) / 1000)} s`);
      outcomes.push(await benchEngine(engine, receiver, dir));
      engine.cleanUp();
    }
  } finally {
    for (const e of engines) e.cleanUp();
  }
  const delivery = await deliveryCost(receiver, 5_000);
  await receiver.stop();
  for (const o of outcomes) printOutcome(o);
  heading('One webhook delivery alone (no database), 16 at a time, from the bench process, to the same receiver');
  table([
    ['sender', 'events', 'events/s', "sender's CPU ms / event", 'of it, its event loop'],
    ...(
      [
        ['WebhookEraser.erase (the product: body and signature here, the POST from its thread)', delivery.product],
        ['for scale: the same signed body through node:http on the event loop, keep-alive agent', delivery.http],
      ] as const
    ).map(([name, d]) => [name, d.events, fmt((1000 * d.events) / d.wallMs, 0), fmt(d.cpuMs, 3), fmt(d.loopMs, 3)]),
  ]);
}

if (process.argv.includes('--receiver')) runReceiver();
else if (process.argv.includes('--timed-server')) runTimedServer();
else {
  reportLoad('start');
  await main();
  reportLoad('end');
}
