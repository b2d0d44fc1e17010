// Target 1 (and 5; issue 19's first two): small deletes over HTTP against the raw engine.
//
//   npx tsx bench/small-deletes.ts [--chats 60000] [--duration 10] [--connections 16] [--rounds 3] [--profile]
//
// deleteChat of chats with 10 messages, 16 concurrent clients for 10 s (autocannon), each
// request deleting a different pre-created chat; the baseline is a minimal node:http
// handler running the same SQL with better-sqlite3 (bench/lib/raw-server.ts) on an
// identical copy of the data, with the product's guarantees and its batching of the
// erasing checkpoint; a second copy of it without any erasure shows what the guarantee
// costs. Each server runs in its own process. Then `{ __typename }`
// with the key against the baseline answering the same after its key lookup (the GraphQL
// overhead alone), and a shorter load with every SQL statement timed (where the time
// goes). --rounds N alternates N baseline/ours runs and judges the median (the disk's
// fsync latency varies here). --profile adds runs of our server under the V8 CPU
// profiler (the one behind --cpu-prof, started for the load window only) and prints the
// top self-time functions.
import { join } from 'node:path';
import autocannon from 'autocannon';
import { type QueryLog, type ServerChild, startServer } from './lib/child.ts';
import { printProfile, summariseProfile } from './lib/profile.ts';
import { processCpu } from './lib/proc-cpu.ts';
import { KIND, benchId, copyDatabase, createBenchDatabase, finishLoad, insertChats, openForLoad } from './lib/seed.ts';
import { BENCH_KEY, flagArg, fmt, heading, HttpClient, intArg, mb, reportLoad, table, tempDir, verdict } from './lib/util.ts';

const CHATS = intArg('chats', 60_000);
const DURATION = intArg('duration', 10);
const CONNECTIONS = intArg('connections', 16);
const WARMUP = 2;
const PROFILE = flagArg('profile');
const ROUNDS = intArg('rounds', 3);
const MESSAGES_PER_CHAT = 10;

const DELETE = `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { deletedMessageCount deletedThreadCount } ... on Error { message } } }`;
const TYPENAME = `{ __typename }`;
const headers = { 'content-type': 'application/json', 'x-api-key': BENCH_KEY };

interface Run {
  label: string;
  reqPerSec: number;
  p50: number;
  p99: number;
  max: number;
  requests: number;
  ok: number;
  bad: number;
  errors: number;
  exhausted: boolean;
  durationMs: number;
  /** The server process's CPU ms per request (user + system), where /proc tells. */
  cpuMs: number | undefined;
}

/** Hands out chat ids 1..CHATS, one per request, per server (each has its own copy). */
function chatCounter() {
  let next = 1;
  return {
    take: () => next++,
    get used() {
      return next - 1;
    },
  };
}

async function load(
  label: string,
  server: ServerChild,
  kind: 'delete' | 'typename',
  seconds: number,
  counter = chatCounter(),
): Promise<Run> {
  let ok = 0;
  let bad = 0;
  let firstBad: string | undefined;
  const expect = kind === 'delete' ? '"DeleteChatSuccess"' : '"__typename":"Query"';
  const request: autocannon.Request = {
    method: 'POST',
    path: '/graphql',
    headers,
    body: JSON.stringify({ query: TYPENAME }),
    onResponse: (status: number, body: string) => {
      if (status === 200 && body.includes(expect)) ok++;
      else {
        bad++;
        firstBad ??= `${status} ${body.slice(0, 300)}`;
      }
    },
  };
  if (kind === 'delete') {
    request.setupRequest = (req: any) => {
      req.body = JSON.stringify({ query: DELETE, variables: { id: benchId(KIND.chat, counter.take()) } });
      return req;
    };
  }
  const cpuBefore = processCpu(server.pid)?.ms;
  const result = await autocannon({ url: server.url, connections: CONNECTIONS, duration: seconds, requests: [request] });
  const cpuAfter = processCpu(server.pid)?.ms;
  if (firstBad) console.warn(`  ${label}: ${bad} unexpected answers, the first: ${firstBad}`);
  return {
    label,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    ok,
    bad,
    errors: result.errors + result.timeouts,
    exhausted: kind === 'delete' && counter.used > CHATS,
    durationMs: result.duration * 1000,
    cpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / result.requests.total,
  };
}

async function deleteRun(label: string, server: ServerChild, counter: ReturnType<typeof chatCounter>): Promise<Run> {
  await load(`${label} warm-up`, server, 'delete', WARMUP, counter);
  const run = await load(label, server, 'delete', DURATION, counter);
  if (run.exhausted) console.warn(`  ${label}: ran out of chats (${counter.used} > ${CHATS}): rerun with --chats ${counter.used * 2}`);
  return run;
}

async function typenameRun(label: string, server: ServerChild): Promise<Run> {
  await load(`${label} warm-up`, server, 'typename', WARMUP);
  return load(label, server, 'typename', DURATION);
}

function printRuns(runs: Run[]) {
  table([
    ['server', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'requests', 'ok', 'not ok', 'server CPU ms/req'],
    ...runs.map((r) => [r.label, fmt(r.reqPerSec, 0), fmt(r.p50, 1), fmt(r.p99, 1), fmt(r.max, 1), r.requests, r.ok, r.bad + r.errors, r.cpuMs === undefined ? '' : fmt(r.cpuMs, 3)]),
  ]);
}

function printSqlBreakdown(log: QueryLog, requests: number, wallMs: number) {
  const sqlMs = log.totalMs / requests;
  console.log(
    `\nSQL time per deleteChat under load: ${fmt(sqlMs, 2)} ms of ${fmt(wallMs / requests, 2)} ms of wall time per request ` +
      `(the one connection is busy ${fmt((100 * log.totalMs) / wallMs, 0)} % of the time)`,
  );
  table([
    ['statement', 'count', 'avg ms', 'max ms', 'share of SQL'],
    ...log.byStatement
      .sort((a, b) => b.totalMs - a.totalMs)
      .map((x) => [x.sql.length > 90 ? `${x.sql.slice(0, 90)}…` : x.sql, x.count, fmt(x.totalMs / x.count, 2), fmt(x.maxMs, 1), `${fmt((100 * x.totalMs) / log.totalMs, 0)} %`]),
  ]);
}

async function main() {
  const dir = tempDir('small');
  heading(`Target 1: deleteChat of chats with ${MESSAGES_PER_CHAT} messages, ${CONNECTIONS} connections, ${DURATION} s`);
  const t = performance.now();
  const pristine = join(dir, 'pristine.db');
  const b = await createBenchDatabase(pristine);
  const db = openForLoad(pristine);
  insertChats(db, b, { first: 1, count: CHATS, perChat: MESSAGES_PER_CHAT, firstMessage: 1 });
  finishLoad(db);
  const oursDb = join(dir, 'ours.db');
  const rawDb = join(dir, 'raw.db');
  const bareDb = join(dir, 'bare.db');
  copyDatabase(pristine, oursDb);
  copyDatabase(pristine, rawDb);
  copyDatabase(pristine, bareDb);
  console.log(`data: ${CHATS} chats x ${MESSAGES_PER_CHAT} messages (one thread each), one copy per server, ready in ${fmt((performance.now() - t) / 1000)} s`);

  const raw = await startServer('raw', { db: rawDb });
  const bare = await startServer('raw', { db: bareDb, env: { BENCH_RAW_ERASURE: 'none' } });
  const ours = await startServer('ours', { db: oursDb });
  const rawCounter = chatCounter();
  const bareCounter = chatCounter();
  const oursCounter = chatCounter();
  const rawRuns: Run[] = [];
  const bareRuns: Run[] = [];
  const oursRuns: Run[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const suffix = ROUNDS > 1 ? ` #${round}` : '';
    // Alternating who goes first, so a slow spell of the shared disk does not fall on one side.
    const order = [
      () => deleteRun(`baseline (node:http + better-sqlite3, batched erasure)${suffix}`, raw, rawCounter).then((r) => rawRuns.push(r)),
      () => deleteRun(`ours (yoga deleteChat)${suffix}`, ours, oursCounter).then((r) => oursRuns.push(r)),
      () => deleteRun(`bare handler, no erasure (information)${suffix}`, bare, bareCounter).then((r) => bareRuns.push(r)),
    ];
    if (round % 2 === 0) order.reverse();
    for (const run of order) await run();
  }
  await bare.stop();
  const rssAfterLoad = (await ours.memory()).rss;
  const rawRss = (await raw.memory()).rss;
  const rawTypename = await typenameRun('baseline key lookup + JSON', raw);
  const oursTypename = await typenameRun('ours { __typename }', ours);
  await ours.stop();
  await raw.stop();

  // Where a deleteChat's time goes in SQL: a shorter load with every statement timed.
  const counted = await startServer('ours', { db: oursDb, recordQueries: true });
  const one = new HttpClient(counted.url);
  await counted.queriesReset();
  await one.gql(DELETE, { id: benchId(KIND.chat, oursCounter.take()) });
  const statements = (await counted.queries()).statements;
  one.close();
  await counted.queriesReset();
  const timedRun = await load('ours, statements timed', counted, 'delete', 5, oursCounter);
  const log = await counted.queries();
  await counted.stop();

  console.log('\ndeleteChat:');
  printRuns([...rawRuns, ...oursRuns, ...bareRuns]);
  console.log('\n{ __typename } (GraphQL overhead alone):');
  printRuns([rawTypename, oursTypename]);
  console.log(`\nSQL statements of one deleteChat (ours): ${statements.length}`);
  for (const sql of statements) console.log(`  ${sql.length > 140 ? `${sql.slice(0, 140)}…` : sql}`);
  printSqlBreakdown(log, timedRun.requests, timedRun.durationMs);

  const rawDelete = pickMedian(rawRuns);
  const oursDelete = pickMedian(oursRuns);
  const bareDelete = pickMedian(bareRuns);
  const throughput = oursDelete.reqPerSec / rawDelete.reqPerSec;
  const p99 = oursDelete.p99 / rawDelete.p99;
  console.log(ROUNDS > 1 ? `\n(median of ${ROUNDS} rounds by throughput)` : '');
  table([
    ['figure', 'ours', 'baseline', 'ratio', 'target', 'verdict'],
    ['deleteChat throughput (req/s)', fmt(oursDelete.reqPerSec, 0), fmt(rawDelete.reqPerSec, 0), fmt(throughput, 3), '>= 0.7', verdict(throughput >= 0.7)],
    ['deleteChat p99 latency (ms)', fmt(oursDelete.p99, 1), fmt(rawDelete.p99, 1), fmt(p99, 2), '<= 2', verdict(p99 <= 2)],
    ['the erasure guarantee: batched baseline / bare handler (req/s)', fmt(rawDelete.reqPerSec, 0), fmt(bareDelete.reqPerSec, 0), fmt(rawDelete.reqPerSec / bareDelete.reqPerSec, 3), '(info)', ''],
    ['{ __typename } server CPU per request (ms)', oursTypename.cpuMs === undefined ? '' : fmt(oursTypename.cpuMs, 3), rawTypename.cpuMs === undefined ? '' : fmt(rawTypename.cpuMs, 3), '', '<= 0.25', oursTypename.cpuMs === undefined ? '' : verdict(oursTypename.cpuMs <= 0.25)],
    ['{ __typename } throughput (req/s)', fmt(oursTypename.reqPerSec, 0), fmt(rawTypename.reqPerSec, 0), fmt(oursTypename.reqPerSec / rawTypename.reqPerSec, 2), '(info)', ''],
    ['{ __typename } p99 latency (ms)', fmt(oursTypename.p99, 1), fmt(rawTypename.p99, 1), fmt(oursTypename.p99 / rawTypename.p99, 2), '(info)', ''],
    ['RSS after the deleteChat load (target 5)', mb(rssAfterLoad), mb(rawRss), fmt(rssAfterLoad / rawRss, 2), '< 200 MB', verdict(rssAfterLoad < 200 * 1024 * 1024)],
  ]);
  const invalid = [...rawRuns, ...oursRuns, ...bareRuns, rawTypename, oursTypename].filter((r) => r.exhausted || r.bad + r.errors > 0);
  if (invalid.length > 0) console.log(`\nWARNING: ${invalid.map((r) => r.label).join(', ')} had failed requests or ran out of chats: those figures are not valid.`);

  if (PROFILE) {
    heading('Profile: our server under deleteChat load, then under { __typename } (V8 CPU profiler)');
    const profDb = join(dir, 'profile.db');
    copyDatabase(oursDb, profDb);
    const profiled = await startServer('ours', { db: profDb });
    for (const kind of ['delete', 'typename'] as const) {
      await load('profile warm-up', profiled, kind, WARMUP, oursCounter);
      await profiled.profileStart();
      const run = await load(`ours ${kind} profiled`, profiled, kind, DURATION, oursCounter);
      const file = join(dir, `${kind}.cpuprofile`);
      await profiled.profileStop(file);
      console.log(`\n--- ${kind === 'delete' ? 'deleteChat' : '{ __typename }'}: ${fmt(run.reqPerSec, 0)} req/s, p99 ${fmt(run.p99, 1)} ms while profiled ---`);
      printProfile(summariseProfile(file, run.durationMs));
    }
    await profiled.stop();
  }
}

function pickMedian(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.reqPerSec - b.reqPerSec)[Math.floor((runs.length - 1) / 2)]!;
}

reportLoad('start');
await main();
reportLoad('end');
