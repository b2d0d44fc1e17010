// Target 1 in PostgreSQL mode: our deleteChat against PostGraphile's generated delete
// mutation (deleteChatById), on the same database and data, 16 concurrent clients for 10 s.
//
//   npx tsx bench/postgraphile.ts [--chats N] [--rounds 3] [--duration 10] [--connections 16] [--profile]
//
// A fresh PostgreSQL database (bench_pg_<pid>, dropped at the end, also on failure or
// Ctrl-C) gets our schema (our migrations, through createApp), the bench tenant and key
// (the product's createApiKey, so the same hash), one flow, and N chats of one thread of 10
// messages, in bulk SQL. Both servers run in their own processes with a pool of 10
// connections: ours as shipped (bench/lib/child.ts), PostGraphile 4 as a library over
// node:http (bench/postgraphile/server.mjs: its own package, because PostGraphile 4 needs
// graphql 15 and a second graphql instance in our tree breaks it). Each request deletes a
// different chat (both servers draw from one list, so none is asked twice); rounds
// alternate the servers (the first one swaps every round) after a 2 s warm-up each, and
// the verdict uses each server's median round by throughput. Every answer is checked
// (2xx, no GraphQL errors, the success type, the chat id asked for), and afterwards the
// chats (and their messages) that were answered as deleted are checked to be gone.
// PostGraphile's delete is one DELETE (the foreign keys cascade to threads and messages);
// ours checks live connections, cancels running streams, counts what it erases and writes
// an audit entry, in one transaction. Where the time goes: the CPU time per request of
// each server process, of the postgres processes and of the load generator (from /proc),
// `{ __typename }` on both (the GraphQL pipeline alone), a last, shorter load of ours with
// every SQL statement timed, and the statements PostGraphile sends for one delete (its
// DEBUG=postgraphile:postgres log). --profile adds a load of ours under the V8 CPU
// profiler and prints its top self-time functions.
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { createApiKey } from '../src/domain/api-keys.ts';
import { type QueryLog, type ServerChild, startServer } from './lib/child.ts';
import { KIND, benchId } from './lib/seed.ts';
import { postgresCpu, postgresCpuSince, processCpu } from './lib/proc-cpu.ts';
import { printProfile, summariseProfile } from './lib/profile.ts';
import { checkIds, insertPgChats } from './lib/postgres.ts';
import { BENCH_KEY, ROOT, flagArg, fmt, heading, intArg, reportLoad, sleep, table, tempDir, verdict } from './lib/util.ts';

const ROUNDS = intArg('rounds', 3);
const DURATION = intArg('duration', 10);
const CONNECTIONS = intArg('connections', 16);
const WARMUP = 2;
const TIMED = 5;
const PROFILE = flagArg('profile');
const MESSAGES_PER_CHAT = 10;
/** Room for both servers at up to 2,500 deletes/s each for every round, plus the timed run. */
const CHATS = intArg('chats', ROUNDS * (WARMUP + DURATION) * 2 * 2_500 + 20_000);
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PG_DIR = join(ROOT, 'bench', 'postgraphile');

const OURS = `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { chatId deletedMessageCount } ... on Error { message } } }`;
const THEIRS = `mutation($id: String!) { deleteChatById(input: { id: $id }) { chat { id } } }`;
const TYPENAME = `{ __typename }`;

interface Target {
  name: string;
  url: string;
  /** The server's process, for its CPU time. */
  pid: number;
  headers: Record<string, string>;
  query: string;
  /** The deleted chat's id if `data` says this request deleted it, else a reason. */
  deleted(data: any): { id: string } | { why: string };
}

const ours = (url: string, pid: number): Target => ({
  name: 'ours (deleteChat)',
  url,
  pid,
  headers: { 'x-api-key': BENCH_KEY },
  query: OURS,
  deleted: (data) => {
    const r = data?.deleteChat;
    if (r?.__typename !== 'DeleteChatSuccess') return { why: `${r?.__typename ?? 'no result'}: ${r?.message ?? ''}` };
    if (r.deletedMessageCount !== MESSAGES_PER_CHAT) return { why: `deletedMessageCount ${r.deletedMessageCount}` };
    return { id: r.chatId };
  },
});

const theirs = (url: string, pid: number): Target => ({
  name: 'PostGraphile (deleteChatById)',
  url,
  pid,
  headers: {},
  query: THEIRS,
  deleted: (data) => {
    const id = data?.deleteChatById?.chat?.id;
    return typeof id === 'string' ? { id } : { why: `no deleted chat: ${JSON.stringify(data).slice(0, 200)}` };
  },
});

interface Run {
  label: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  /** 2xx answers that deleted the chat asked for. */
  ok: number;
  non2xx: number;
  /** 2xx answers with GraphQL errors, another result type, or another chat. */
  notDeleted: number;
  /** Socket errors and timeouts. */
  errors: number;
  durationMs: number;
  cpu?: CpuUse;
}

const failed = (r: Run) => r.non2xx + r.notDeleted + r.errors;

interface CpuUse {
  /** ms of CPU per request: the server process, the postgres processes, the load generator (this process). */
  server: number;
  postgres: number;
  load: number;
}

function cpuMeter(serverPid: number) {
  const server = processCpu(serverPid)?.ms;
  const postgres = postgresCpu();
  const self = process.cpuUsage();
  return (requests: number): CpuUse | undefined => {
    const serverNow = processCpu(serverPid)?.ms;
    if (server === undefined || serverNow === undefined || requests === 0) return undefined;
    const pgMs = postgresCpuSince(postgres);
    const used = process.cpuUsage(self);
    return { server: (serverNow - server) / requests, postgres: pgMs / requests, load: (used.user + used.system) / 1000 / requests };
  };
}

/** One list of chat ids for the whole run; the ids each server answered as deleted. */
const chats = {
  next: 1,
  take(): number {
    return this.next++;
  },
  deleted: [] as string[],
  get exhausted() {
    return this.next - 1 > CHATS;
  },
};

async function load(label: string, target: Target, seconds: number, kind: 'delete' | 'typename' = 'delete'): Promise<Run> {
  let ok = 0;
  let non2xx = 0;
  let notDeleted = 0;
  const examples = new Map<string, number>();
  const bad = (what: string) => examples.set(what, (examples.get(what) ?? 0) + 1);
  const request: autocannon.Request = {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', ...target.headers },
    body: JSON.stringify({ query: TYPENAME }),
    onResponse: (status: number, body: string, context: Record<string, unknown>) => {
      if (status < 200 || status >= 300) {
        non2xx++;
        bad(`HTTP ${status}: ${body.slice(0, 200)}`);
        return;
      }
      let answer: any;
      try {
        answer = JSON.parse(body);
      } catch {
        notDeleted++;
        bad(`not JSON: ${body.slice(0, 200)}`);
        return;
      }
      if (answer.errors) {
        notDeleted++;
        bad(`GraphQL errors: ${JSON.stringify(answer.errors).slice(0, 200)}`);
        return;
      }
      if (kind === 'typename') {
        if (answer.data?.__typename === 'Query') ok++;
        else (notDeleted++, bad(`unexpected: ${body.slice(0, 200)}`));
        return;
      }
      const result = target.deleted(answer.data);
      if ('why' in result) {
        notDeleted++;
        bad(result.why);
      } else if (result.id !== context.id) {
        notDeleted++;
        bad(`asked to delete ${String(context.id)}, answered ${result.id}`);
      } else {
        ok++;
        chats.deleted.push(result.id);
      }
    },
  };
  if (kind === 'delete') {
    request.setupRequest = (req: any, context: Record<string, unknown>) => {
      // One request in flight per connection (no pipelining): the context names its chat.
      context.id = benchId(KIND.chat, chats.take());
      req.body = JSON.stringify({ query: target.query, variables: { id: context.id } });
      return req;
    };
  }
  const cpu = cpuMeter(target.pid);
  const result = await autocannon({ url: target.url, connections: CONNECTIONS, duration: seconds, requests: [request] });
  const cpuUse = cpu(result.requests.total);
  const run: Run = {
    label,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    ok,
    non2xx,
    notDeleted,
    errors: result.errors + result.timeouts,
    durationMs: result.duration * 1000,
    cpu: cpuUse,
  };
  if (failed(run) > 0) {
    console.warn(`  ${label}: ${failed(run)} failed requests (${non2xx} non-2xx, ${notDeleted} 2xx without the delete, ${run.errors} socket errors or timeouts); the answers:`);
    for (const [what, n] of [...examples].slice(0, 5)) console.warn(`    ${n} x ${what}`);
  }
  return run;
}

/** PostGraphile 4 in bench/postgraphile (npm ci on first use), in its own process. */
async function startPostGraphile(db: string, options: { logSql?: boolean } = {}): Promise<{ url: string; pid: number; version: string; sql: { text: string }; stop(): Promise<void> }> {
  if (!existsSync(join(PG_DIR, 'node_modules', 'postgraphile'))) {
    console.log('installing bench/postgraphile (npm ci) ...');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: PG_DIR, stdio: 'inherit' });
  }
  const version = (JSON.parse(readFileSync(join(PG_DIR, 'node_modules', 'postgraphile', 'package.json'), 'utf8')) as { version: string }).version;
  const child: ChildProcess = fork(join(PG_DIR, 'server.mjs'), [], {
    cwd: PG_DIR,
    execArgv: [],
    // logSql: PostGraphile's own debug log of every statement it sends (DEBUG=postgraphile:postgres).
    env: { ...process.env, BENCH_DB: db, ...(options.logSql && { DEBUG: 'postgraphile:postgres', DEBUG_COLORS: '0', DEBUG_HIDE_DATE: '1' }) },
    stdio: ['ignore', 'ignore', options.logSql ? 'pipe' : 'inherit', 'ipc'],
  });
  const sql = { text: '' };
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (sql.text += chunk));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const kill = () => exited || child.kill('SIGKILL');
  process.once('exit', kill);
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`PostGraphile exited with code ${code} before it was ready`)));
    child.on('message', (m: { type?: string; url?: string }) => m.type === 'ready' && resolve(m.url!));
  });
  return {
    url,
    pid: child.pid!,
    version,
    sql,
    async stop() {
      if (exited) return;
      child.send({ type: 'stop' });
      const timer = setTimeout(kill, 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

async function post(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<any> {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return response.json();
}

/** Our schema, the bench key, one flow and CHATS chats of one thread of 10 messages, in bulk SQL. */
async function fill(db: string) {
  // createApp migrates the database (databaseUrl: PostgreSQL); the key is written as the product writes it.
  const app = await createApp({ ...loadConfig({}), databaseUrl: db }, { purgeTimer: false });
  const { tenantId } = await createApiKey(app.deps.store.db, { tenant: 'bench', name: 'bench-key', key: BENCH_KEY }, new Date().toISOString());
  await app.close();
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  const flowId = benchId(KIND.flow, 1);
  await client.query(`insert into flows (id, tenant_id, name, type, created_at) values ($1, $2, 'Bench flow', 'CHATFLOW', '2025-01-01T00:00:00.000Z')`, [flowId, tenantId]);
  await insertPgChats(client, { tenantId, flowId, count: CHATS, perChat: MESSAGES_PER_CHAT });
  await client.query('vacuum analyze chats, threads, messages');
  await checkIds(client);
  await client.end();
}

function pickMedian(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.reqPerSec - b.reqPerSec)[Math.floor((runs.length - 1) / 2)]!;
}

function printSqlBreakdown(log: QueryLog, run: Run) {
  const sqlMs = log.totalMs / run.requests;
  const latencyMs = (CONNECTIONS * run.durationMs) / run.requests;
  console.log(
    `\nours, statements timed: ${fmt(run.reqPerSec, 0)} req/s; per deleteChat ${fmt(log.count / run.requests, 1)} statements taking ` +
      `${fmt(sqlMs, 2)} ms together, of ${fmt(latencyMs, 2)} ms of mean latency (${fmt((100 * sqlMs) / latencyMs, 0)} %; timed in our process, so ` +
      `a statement's time includes waiting for a busy event loop to read its answer, and pool waits outside the transaction)`,
  );
  table([
    ['statement', 'count', 'avg ms', 'max ms', 'share of SQL'],
    ...log.byStatement
      .sort((a, b) => b.totalMs - a.totalMs)
      .map((x) => [x.sql.length > 100 ? `${x.sql.slice(0, 100)}…` : x.sql, x.count, fmt(x.totalMs / x.count, 2), fmt(x.maxMs, 1), `${fmt((100 * x.totalMs) / log.totalMs, 0)} %`]),
  ]);
}

async function main() {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`SKIPPED: PostgreSQL is not reachable at ${ADMIN_URL} (${(error as Error).message}); start it or set BENCH_PG_URL`);
    return;
  }
  const name = `bench_pg_${process.pid}`;
  const db = Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();
  await admin.query(`create database ${name}`);
  // Dropped in `finally`; if the process exits before (Ctrl-C, a crash), synchronously here.
  let dropped = false;
  const dropNow = () => {
    if (dropped) return;
    dropped = true;
    try {
      execFileSync('psql', [ADMIN_URL, '-qc', `drop database if exists ${name} with (force)`], { stdio: 'ignore' });
    } catch {
      console.error(`could not drop database ${name}: drop it by hand`);
    }
  };
  process.once('exit', dropNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const logDir = tempDir('postgraphile');
  let oursChild: ServerChild | undefined;
  let pgChild: Awaited<ReturnType<typeof startPostGraphile>> | undefined;
  try {
    heading(`Target 1 on PostgreSQL: deleteChat vs PostGraphile's generated delete, ${CONNECTIONS} clients, ${DURATION} s, ${ROUNDS} rounds`);
    const t = performance.now();
    await fill(db);
    console.log(`data: ${CHATS.toLocaleString('en-US')} chats x ${MESSAGES_PER_CHAT} messages (one thread each) in database ${name}, ready in ${fmt((performance.now() - t) / 1000)} s`);

    oursChild = await startServer('ours', { db, log: join(logDir, 'ours.log') });
    pgChild = await startPostGraphile(db);
    const mutations: string[] = ((await post(pgChild.url, `{ __type(name: "Mutation") { fields { name } } }`)).data?.__type?.fields ?? []).map((f: { name: string }) => f.name);
    const chatDeletes = mutations.filter((m) => /^deleteChat/.test(m));
    console.log(`PostGraphile ${pgChild.version}, default inflection; its delete mutations of chats: ${chatDeletes.join(', ')} (the bench uses deleteChatById)`);
    if (!chatDeletes.includes('deleteChatById')) throw new Error(`PostGraphile generated no deleteChatById: ${mutations.join(', ')}`);

    const targets = [ours(oursChild.url, oursChild.pid), theirs(pgChild.url, pgChild.pid)];
    const runs = new Map<Target, Run[]>(targets.map((x) => [x, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? targets : [...targets].reverse();
      for (const target of order) {
        await load(`${target.name} warm-up`, target, WARMUP);
        const run = await load(`${target.name} #${round}`, target, DURATION);
        runs.get(target)!.push(run);
        console.log(`  round ${round}, ${target.name}: ${fmt(run.reqPerSec, 0)} req/s, p99 ${run.p99} ms, ${failed(run)} failed`);
      }
    }
    const [oursTarget, theirTarget] = targets as [Target, Target];
    const oursTypename = await load('ours { __typename } warm-up', oursTarget, 1, 'typename').then(() => load('ours { __typename }', oursTarget, TIMED, 'typename'));
    const theirTypename = await load('PostGraphile { __typename } warm-up', theirTarget, 1, 'typename').then(() => load('PostGraphile { __typename }', theirTarget, TIMED, 'typename'));
    await oursChild.stop();
    oursChild = undefined;
    await pgChild.stop();
    pgChild = undefined;

    // Where our deleteChat's time goes: the same load, shorter, with every statement timed.
    const timed = await startServer('ours', { db, recordQueries: true, log: join(logDir, 'ours-timed.log') });
    oursChild = timed;
    const timedTarget = ours(timed.url, timed.pid);
    await load('ours, statements timed, warm-up', timedTarget, 1);
    await sleep(1000); // the requests still in flight when the load stopped
    await timed.queriesReset();
    const one = await post(timed.url, OURS, { id: benchId(KIND.chat, chats.take()) }, timedTarget.headers);
    const statements = (await timed.queries()).statements;
    if (one.data?.deleteChat?.__typename !== 'DeleteChatSuccess') console.warn(`  the single timed deleteChat failed: ${JSON.stringify(one).slice(0, 300)}`);
    else chats.deleted.push(one.data.deleteChat.chatId);
    await timed.queriesReset();
    const timedRun = await load('ours, statements timed', timedTarget, TIMED);
    const log = await timed.queries();
    await timed.stop();
    oursChild = undefined;

    let profiled: { run: Run; file: string } | undefined;
    if (PROFILE) {
      const child = await startServer('ours', { db, log: join(logDir, 'ours-profiled.log') });
      oursChild = child;
      const target = ours(child.url, child.pid);
      await load('ours, profiled, warm-up', target, WARMUP);
      await child.profileStart();
      const run = await load('ours, profiled', target, DURATION);
      const file = join(logDir, 'delete.cpuprofile');
      await child.profileStop(file);
      await child.stop();
      oursChild = undefined;
      profiled = { run, file };
    }

    // PostGraphile's statements for one delete, from its own debug log.
    const probe = await startPostGraphile(db, { logSql: true });
    pgChild = probe;
    await post(probe.url, TYPENAME); // builds its schema (introspection) before the statements counted
    await sleep(200);
    probe.sql.text = '';
    const probeId = benchId(KIND.chat, chats.take());
    const probed = await post(probe.url, THEIRS, { id: probeId });
    if (probed.data?.deleteChatById?.chat?.id === probeId) chats.deleted.push(probeId);
    else console.warn(`  the probed deleteChatById failed: ${JSON.stringify(probed).slice(0, 300)}`);
    await sleep(200);
    const theirStatements = probe.sql.text
      .split(/^\s*postgraphile:postgres /m)
      .map((x) => x.replace(/\s+/g, ' ').trim())
      .filter(Boolean);
    await probe.stop();
    pgChild = undefined;

    // Every chat answered as deleted is gone, with its threads and messages.
    const check = new pg.Client({ connectionString: db });
    await check.connect();
    const count = async (sql: string, params: unknown[]) => (await check.query<{ n: number }>(sql, params)).rows[0]!.n;
    const deleted = chats.deleted;
    const left = {
      chats: await count(`select count(*)::int as n from chats where id = any($1::text[])`, [deleted]),
      threads: await count(`select count(*)::int as n from threads where chat_id = any($1::text[])`, [deleted]),
      messages: await count(`select count(*)::int as n from messages where chat_id = any($1::text[])`, [deleted]),
      asked: chats.next - 1,
      remaining: await count(`select count(*)::int as n from chats`, []),
    };
    await check.end();

    const all = [...runs.values()].flat();
    console.log('\ndeleteChat, every round:');
    const cpuCells = (r: Run) => (r.cpu ? [fmt(r.cpu.server, 2), fmt(r.cpu.postgres, 2), fmt(r.cpu.load, 2)] : ['', '', '']);
    const cpuHeads = ['server CPU ms/req', 'postgres CPU ms/req', 'autocannon CPU ms/req'];
    table([
      ['server', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'deleted', 'failed', ...cpuHeads],
      ...all.map((r) => [r.label, fmt(r.reqPerSec, 0), r.p50, r.p99, r.requests, r.ok, failed(r), ...cpuCells(r)]),
    ]);
    console.log('\n{ __typename } (the GraphQL pipeline alone; ours checks the API key, kept after its first use; info):');
    table([
      ['server', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'failed', ...cpuHeads],
      ...[oursTypename, theirTypename].map((r) => [r.label, fmt(r.reqPerSec, 0), r.p50, r.p99, r.requests, failed(r), ...cpuCells(r)]),
    ]);

    console.log(`\nSQL statements of one deleteChat (ours): ${statements.length}`);
    for (const sql of statements) console.log(`  ${sql.length > 160 ? `${sql.slice(0, 160)}…` : sql}`);
    printSqlBreakdown(log, timedRun);
    console.log(`\nSQL statements of one deleteChatById (PostGraphile, from DEBUG=postgraphile:postgres): ${theirStatements.length}`);
    for (const sql of theirStatements) console.log(`  ${sql.length > 300 ? `${sql.slice(0, 300)}…` : sql}`);

    const gone = left.chats === 0 && left.threads === 0 && left.messages === 0;
    console.log(
      `\ncheck: ${left.asked.toLocaleString('en-US')} chats asked for deletion, ${deleted.length.toLocaleString('en-US')} answered as deleted; ` +
        `of those, left in the database: ${left.chats} chats, ${left.threads} threads, ${left.messages} messages (${gone ? 'all gone' : 'NOT ALL GONE'}); ` +
        `${left.remaining.toLocaleString('en-US')} of ${CHATS.toLocaleString('en-US')} chats remain`,
    );

    if (profiled) {
      heading(`Profile: our server under deleteChat load (V8 CPU profiler): ${fmt(profiled.run.reqPerSec, 0)} req/s while profiled`);
      printProfile(summariseProfile(profiled.file, profiled.run.durationMs));
      console.log(
        '(samples are wall time on the main thread: on a machine whose cores postgres and the load generator share, time the thread ' +
          'is descheduled inside a syscall, e.g. a socket write that wakes a postgres backend, counts as that syscall; ' +
          'the CPU columns above are CPU time)',
      );
    }

    const o = pickMedian(runs.get(oursTarget)!);
    const p = pickMedian(runs.get(theirTarget)!);
    const ratio = o.reqPerSec / p.reqPerSec;
    console.log(`\n(median round of each server by throughput, of ${ROUNDS}; ours ${o.label}, PostGraphile ${p.label})`);
    table([
      ['figure', 'ours', 'PostGraphile', 'ratio', 'target', 'verdict'],
      ['deleteChat throughput (req/s)', fmt(o.reqPerSec, 0), fmt(p.reqPerSec, 0), fmt(ratio, 2), '>= 1.0', verdict(ratio >= 1)],
      ['deleteChat p99 latency (ms)', o.p99, p.p99, fmt(o.p99 / p.p99, 2), '(info)', ''],
      ['{ __typename } throughput (req/s)', fmt(oursTypename.reqPerSec, 0), fmt(theirTypename.reqPerSec, 0), fmt(oursTypename.reqPerSec / theirTypename.reqPerSec, 2), '(info)', ''],
      ...(o.cpu && p.cpu
        ? [
            ['server process CPU per delete (ms)', fmt(o.cpu.server, 2), fmt(p.cpu.server, 2), fmt(o.cpu.server / p.cpu.server, 2), '(info)', ''],
            ['postgres CPU per delete (ms)', fmt(o.cpu.postgres, 2), fmt(p.cpu.postgres, 2), fmt(o.cpu.postgres / p.cpu.postgres, 2), '(info)', ''],
          ]
        : []),
      ['SQL statements per delete', statements.length, theirStatements.length, fmt(statements.length / theirStatements.length, 2), '(info)', ''],
    ]);
    const invalid = [...all, timedRun].filter((r) => failed(r) > 0);
    if (invalid.length > 0 || !gone || chats.exhausted) {
      console.log(
        `\nWARNING: ${[...invalid.map((r) => `${r.label} had ${failed(r)} failed requests`), ...(gone ? [] : ['deleted chats are still in the database']), ...(chats.exhausted ? [`ran out of chats (rerun with --chats ${(chats.next - 1) * 2})`] : [])].join('; ')}: those figures are not valid.`,
      );
    }
  } finally {
    await oursChild?.stop().catch(() => {});
    await pgChild?.stop().catch(() => {});
    await admin.query(`drop database if exists ${name} with (force)`).then(
      () => (dropped = true),
      (error: Error) => console.error(`drop database ${name}: ${error.message}`),
    );
    await admin.end();
  }
}

reportLoad('start');
await main();
reportLoad('end');
