// Issue 17: what the legal-hold check costs a small delete.
//
//   npx tsx bench/legal-holds.ts [--rounds 3] [--duration 10] [--connections 16] [--holds 3000] [--chats N] [--engines sqlite,postgres]
//
// Every permanent delete asks, in its transaction, whether an active legal hold covers what
// it erases (its flow, its chats, the sessions of its messages: src/domain/legal-holds.ts,
// one statement of three index seeks); on PostgreSQL the common deleteChat asks inside its
// one statement (src/data/postgres/delete-chat-at-once.ts). Target: the check costs small
// deletes under 5 %, i.e. B / A >= 0.95 in throughput.
//
// Two servers as shipped (bench/lib/child.ts: the bundle `npm run build` makes, the node
// flags of `npm run serve`), each in its own process on its own identical copy of the data
// (SQLite: a file copy; PostgreSQL: a schema each, filled by the same SQL). Both copies hold
// the same flows, chats, threads and messages; only B's tenant also holds `--holds` active
// legal holds, a third each on other flows, on other chats of the bench flow and on the
// sessions of those chats, plus as many released holds on the very chats the load deletes
// (which must not block them): so on B the check runs on every delete, and finds nothing.
// Before the load B is asked to delete a held chat and must answer LEGAL_HOLD, A the same
// chat and must delete it (the check is real on B, absent on A). The load: deleteChat of
// chats of one thread of 5 messages with a session id, 16 clients through autocannon, a
// different chat per request; rounds alternate A and B (A,B then B,A ...), 2 s warm-up
// then DURATION s measured; the verdict takes the median round of each side. Server CPU
// per delete is read from /proc. Then the statements of one delete on each side, from a
// server that records them.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { type ServerChild, startServer } from './lib/child.ts';
import { benchSchemas, checkIds, insertPgChats, migrateWithBenchKey, pgId } from './lib/postgres.ts';
import { KIND, benchId, copyDatabase, createBenchDatabase, finishLoad, insertChats, openForLoad } from './lib/seed.ts';
import { BENCH_KEY, HttpClient, fmt, heading, intArg, reportLoad, table, tempDir, verdict } from './lib/util.ts';

const ROUNDS = intArg('rounds', 3);
const DURATION = intArg('duration', 10);
const CONNECTIONS = intArg('connections', 16);
const HOLDS = intArg('holds', 3000);
const WARMUP = 2;
const MESSAGES_PER_CHAT = 5;
/** Room for up to 2,500 deletes/s on each side for every round. */
const CHATS = intArg('chats', ROUNDS * (WARMUP + DURATION) * 2_500 + 1_000);
/** Held chats, and other flows held, beyond the chats the load deletes. */
const HELD_EACH = Math.ceil(HOLDS / 3);
const ENGINES = (() => {
  const i = process.argv.indexOf('--engines');
  return (i >= 0 ? process.argv[i + 1]! : 'sqlite,postgres').split(',').map((s) => s.trim());
})();
const HOLD_KIND = 0x11;

const DELETE = `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { chatId deletedMessageCount } ... on ConflictError { reason holdIds } ... on Error { message } } }`;

/** The rows of B's holds: active ones on other flows, chats and sessions; released ones on the chats the load deletes. */
function holdRows(tenantId: string) {
  const at = '2025-06-01T00:00:00.000Z';
  const row = (k: number, scope: string, target: string, released: boolean) => ({
    id: benchId(HOLD_KIND, k),
    tenant_id: tenantId,
    scope,
    target_id: target,
    reason: 'Litigation hold (bench)',
    created_at: at,
    created_by: 'bench',
    released_at: released ? at : null,
    released_by: released ? 'bench' : null,
  });
  const rows = [];
  for (let i = 1; i <= HELD_EACH; i++) {
    rows.push(row(3 * i, 'FLOW', benchId(KIND.flow, 1 + i), false));
    rows.push(row(3 * i + 1, 'CHAT', benchId(KIND.chat, CHATS + i), false));
    rows.push(row(3 * i + 2, 'SESSION', `session-${CHATS + i}`, false));
  }
  for (let i = 1; i <= HOLDS; i++) rows.push(row(3 * HELD_EACH + 3 + i, 'CHAT', benchId(KIND.chat, i), true));
  return rows;
}

interface Engine {
  name: string;
  urls: { A: string; B: string };
  postgres: boolean;
  cleanUp(): void;
}

async function sqliteEngine(dir: string): Promise<Engine> {
  const pristine = join(dir, 'pristine.db');
  const b = await createBenchDatabase(pristine);
  const db = openForLoad(pristine);
  insertChats(db, b, { first: 1, count: CHATS + HELD_EACH, perChat: MESSAGES_PER_CHAT, firstMessage: 1 });
  const flow = db.prepare(`insert into flows (id, tenant_id, name, type, created_at) values (?, ?, 'Other flow', 'CHATFLOW', '2025-01-01T00:00:00.000Z')`);
  for (let i = 1; i <= HELD_EACH; i++) flow.run(benchId(KIND.flow, 1 + i), b.tenantId);
  finishLoad(db);
  const urls = { A: join(dir, 'a.db'), B: join(dir, 'b.db') };
  copyDatabase(pristine, urls.A);
  copyDatabase(pristine, urls.B);
  const holds = new SQLite(urls.B);
  const insert = holds.prepare(
    `insert into legal_holds (id, tenant_id, scope, target_id, reason, created_at, created_by, released_at, released_by)
     values (@id, @tenant_id, @scope, @target_id, @reason, @created_at, @created_by, @released_at, @released_by)`,
  );
  holds.transaction(() => holdRows(b.tenantId).forEach((r) => insert.run(r)))();
  holds.pragma('wal_checkpoint(TRUNCATE)');
  holds.close();
  return { name: 'SQLite', urls, postgres: false, cleanUp: () => {} };
}

/** Two fresh schemas of the test database, migrated by the product, with the bench key and the same rows. */
async function postgresEngine(): Promise<Engine | undefined> {
  const schemas = await benchSchemas('bench_lh');
  if (!schemas) return undefined;
  for (const side of ['A', 'B'] as const) {
    const tenantId = await migrateWithBenchKey(schemas.urls[side]);
    const flowId = benchId(KIND.flow, 1);
    const client = new pg.Client({ connectionString: schemas.urls[side] });
    await client.connect();
    await client.query(
      `insert into flows (id, tenant_id, name, type, created_at)
       select ${pgId(KIND.flow, 'i')}, $1, 'Flow ' || i, 'CHATFLOW', '2025-01-01T00:00:00.000Z' from generate_series(1, ${1 + HELD_EACH}) i`,
      [tenantId],
    );
    await insertPgChats(client, { tenantId, flowId, count: CHATS + HELD_EACH, perChat: MESSAGES_PER_CHAT });
    if (side === 'B') {
      for (const r of holdRows(tenantId)) {
        await client.query(
          `insert into legal_holds (id, tenant_id, scope, target_id, reason, created_at, created_by, released_at, released_by) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [r.id, r.tenant_id, r.scope, r.target_id, r.reason, r.created_at, r.created_by, r.released_at, r.released_by],
        );
      }
    }
    await client.query('vacuum analyze flows, chats, threads, messages, legal_holds');
    await checkIds(client);
    await client.end();
  }
  return { name: 'PostgreSQL', urls: schemas.urls, postgres: true, cleanUp: schemas.cleanUp };
}

// ---------------------------------------------------------------------------------------

const TICK_MS = (() => {
  try {
    return 1000 / (Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100);
  } catch {
    return 10;
  }
})();

/** The process's user + system CPU so far, ms (Linux; NaN elsewhere). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}

interface Side {
  name: 'A' | 'B';
  label: string;
  server: ServerChild;
  next: number;
  runs: Run[];
}

interface Run {
  round: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  failed: number;
  cpuMsPerDelete: number;
}

async function load(side: Side, seconds: number, round: number): Promise<Run> {
  let ok = 0;
  let failed = 0;
  let firstBad: string | undefined;
  const request: autocannon.Request = {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', 'x-api-key': BENCH_KEY },
    setupRequest: (req: any, context: Record<string, unknown>) => {
      context.id = benchId(KIND.chat, side.next++);
      req.body = JSON.stringify({ query: DELETE, variables: { id: context.id } });
      return req;
    },
    onResponse: (status: number, body: string, context: Record<string, unknown>) => {
      const result = status === 200 ? JSON.parse(body).data?.deleteChat : undefined;
      if (result?.__typename === 'DeleteChatSuccess' && result.chatId === context.id && result.deletedMessageCount === MESSAGES_PER_CHAT) ok++;
      else {
        failed++;
        firstBad ??= `${status} ${body.slice(0, 300)}`;
      }
    },
  };
  const cpu0 = cpuMs(side.server.pid);
  const result = await autocannon({ url: side.server.url, connections: CONNECTIONS, duration: seconds, requests: [request] });
  const cpu1 = cpuMs(side.server.pid);
  if (firstBad) console.warn(`  ${side.label}: ${failed} requests did not delete their chat; the first answer: ${firstBad}`);
  if (side.next - 1 > CHATS) console.warn(`  ${side.label}: ran out of chats (${side.next - 1} > ${CHATS}): rerun with --chats ${2 * CHATS}`);
  return {
    round,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failed: failed + result.errors + result.timeouts,
    cpuMsPerDelete: (cpu1 - cpu0) / Math.max(1, ok),
  };
}

/** B refuses a held chat with LEGAL_HOLD, A deletes the same chat: the check runs on B and is absent on A. */
async function checkHoldsBite(a: ServerChild, b: ServerChild): Promise<void> {
  const held = benchId(KIND.chat, CHATS + HELD_EACH);
  const answers = [];
  for (const server of [a, b]) {
    const client = new HttpClient(server.url);
    answers.push((await client.gql(DELETE, { id: held })).deleteChat);
    client.close();
  }
  const [onA, onB] = answers;
  if (onA?.__typename !== 'DeleteChatSuccess' || onB?.__typename !== 'ConflictError' || onB.reason !== 'LEGAL_HOLD') {
    throw new Error(`the holds do not behave as the bench assumes: A answered ${JSON.stringify(onA)}, B ${JSON.stringify(onB)}`);
  }
  console.log(`check: chat ${held} (under a CHAT, a SESSION hold on B) deleted on A, refused on B with LEGAL_HOLD ${JSON.stringify(onB.holdIds)}`);
}

/** What the statements of a delete cost: those of one delete alone, then a short load with each statement timed. */
interface Timed {
  statements: string[];
  deletes: number;
  wallMs: number;
  sqlMs: number;
  /** The statement that asks for holds, where it is one of its own (SQLite's general path), or the one-statement delete that holds it. */
  check: { sql: string; count: number; totalMs: number } | undefined;
}

const TIMED_SECONDS = 5;

async function timedDeletes(side: Side, db: string, log: string): Promise<Timed> {
  const server = await startServer('ours', { db, log, recordQueries: true });
  const client = new HttpClient(server.url);
  try {
    await server.queriesReset();
    const answer = (await client.gql(DELETE, { id: benchId(KIND.chat, side.next++) })).deleteChat;
    if (answer?.__typename !== 'DeleteChatSuccess') throw new Error(`the timed delete failed: ${JSON.stringify(answer)}`);
    const { statements } = await server.queries();
    await server.queriesReset();
    const run = await load({ ...side, server }, TIMED_SECONDS, 0);
    const log2 = await server.queries();
    const check = log2.byStatement.find((x) => x.sql.includes('"legal_holds"'));
    return { statements, deletes: run.requests, wallMs: TIMED_SECONDS * 1000, sqlMs: log2.totalMs, check };
  } finally {
    client.close();
    await server.stop();
  }
}

function pickMedian(runs: Run[]): Run {
  return [...runs].sort((x, y) => x.reqPerSec - y.reqPerSec)[Math.floor((runs.length - 1) / 2)]!;
}

interface Outcome {
  engine: string;
  a: Run[];
  b: Run[];
  timed: { a: Timed; b: Timed };
}

async function benchEngine(engine: Engine, dir: string): Promise<Outcome> {
  const log = (side: string) => join(dir, `${engine.name}-${side}.log`);
  const servers = { A: await startServer('ours', { db: engine.urls.A, log: log('a') }), B: await startServer('ours', { db: engine.urls.B, log: log('b') }) };
  const sides: Side[] = (['A', 'B'] as const).map((name) => ({
    name,
    label: name === 'A' ? 'A, no holds' : `B, ${HOLDS} active holds`,
    server: servers[name],
    next: 1,
    runs: [],
  }));
  try {
    await checkHoldsBite(servers.A, servers.B);
    for (let round = 1; round <= ROUNDS; round++) {
      for (const side of round % 2 === 1 ? sides : [...sides].reverse()) {
        await load(side, WARMUP, round);
        const run = await load(side, DURATION, round);
        side.runs.push(run);
        console.log(`  round ${round}, ${side.label}: ${fmt(run.reqPerSec, 0)} deletes/s, p50 ${run.p50} / p99 ${run.p99} ms, server CPU ${fmt(run.cpuMsPerDelete, 3)} ms/delete, ${run.failed} failed`);
      }
    }
  } finally {
    await servers.A.stop();
    await servers.B.stop();
  }
  // Where the time goes, on chats neither side has deleted yet.
  sides[0]!.next = sides[1]!.next = Math.max(sides[0]!.next, sides[1]!.next);
  const timed = { a: await timedDeletes(sides[0]!, engine.urls.A, log('a-timed')), b: await timedDeletes(sides[1]!, engine.urls.B, log('b-timed')) };
  return { engine: engine.name, a: sides[0]!.runs, b: sides[1]!.runs, timed };
}

function printOutcome(o: Outcome): void {
  heading(`${o.engine}: deleteChat of chats of 1 thread x ${MESSAGES_PER_CHAT} messages, ${CONNECTIONS} clients, ${DURATION} s, ${ROUNDS} alternating rounds`);
  table([
    ['round', 'side', 'deletes/s', 'p50 ms', 'p99 ms', 'server CPU ms/delete', 'failed'],
    ...o.a.flatMap((a, i) => {
      const b = o.b[i]!;
      return [
        [a.round, 'A', fmt(a.reqPerSec, 0), a.p50, a.p99, fmt(a.cpuMsPerDelete, 3), a.failed],
        [b.round, 'B', fmt(b.reqPerSec, 0), b.p50, b.p99, fmt(b.cpuMsPerDelete, 3), b.failed],
      ];
    }),
  ]);
  const a = pickMedian(o.a);
  const b = pickMedian(o.b);
  const ratio = b.reqPerSec / a.reqPerSec;
  const rounds = o.a.map((r, i) => fmt(o.b[i]!.reqPerSec / r.reqPerSec, 3)).join(' / ');
  console.log(`\n(median round of each side by throughput; B / A round by round: ${rounds})`);
  table([
    ['figure', 'A: no holds', `B: ${HOLDS} active holds`, 'B / A', 'target', 'verdict'],
    ['deleteChat throughput (deletes/s)', fmt(a.reqPerSec, 0), fmt(b.reqPerSec, 0), fmt(ratio, 3), '>= 0.95', verdict(ratio >= 0.95)],
    ['p50 latency (ms)', a.p50, b.p50, fmt(b.p50 / a.p50, 2), '(info)', ''],
    ['p99 latency (ms)', a.p99, b.p99, fmt(b.p99 / a.p99, 2), '(info)', ''],
    ['server CPU per delete (ms)', fmt(a.cpuMsPerDelete, 3), fmt(b.cpuMsPerDelete, 3), fmt(b.cpuMsPerDelete / a.cpuMsPerDelete, 3), '(info)', ''],
  ]);
  console.log(`\nEvery statement timed, ${TIMED_SECONDS} s of the same load on each side (the hold check: the statement on legal_holds; on PostgreSQL it sits in the one-statement delete):`);
  table([
    ['side', 'deletes', 'SQL ms / delete', 'wall ms / delete', 'hold-check statement: count', 'avg ms', 'share of SQL time'],
    ...(['A', 'B'] as const).map((name) => {
      const x = name === 'A' ? o.timed.a : o.timed.b;
      const c = x.check;
      return [name, x.deletes, fmt(x.sqlMs / x.deletes, 3), fmt(x.wallMs / x.deletes, 2), c?.count ?? 0, c ? fmt(c.totalMs / c.count, 3) : '', c ? `${fmt((100 * c.totalMs) / x.sqlMs, 1)} %` : ''];
    }),
  ]);
  for (const [side, x] of [['A', o.timed.a], ['B', o.timed.b]] as const) {
    console.log(`\nstatements of one deleteChat on ${side} (the background workers' too): ${x.statements.length}`);
    for (const sql of x.statements) console.log(`  ${sql.length > 160 ? `${sql.slice(0, 160)}…` : sql}`);
  }
  if ([...o.a, ...o.b].some((r) => r.failed > 0)) console.log('\nWARNING: failed requests: those figures are not valid.');
}

async function main() {
  const dir = tempDir('legal-holds');
  const outcomes: Outcome[] = [];
  for (const name of ENGINES) {
    const t = performance.now();
    const engine = name === 'sqlite' ? await sqliteEngine(dir) : name === 'postgres' ? await postgresEngine() : undefined;
    if (!engine) continue;
    try {
      console.log(
        `\n${engine.name}: ${CHATS.toLocaleString('en-US')} chats x ${MESSAGES_PER_CHAT} messages to delete, ${HELD_EACH} more chats and ${HELD_EACH} more flows on each side; ` +
          `B: ${HOLDS} active holds and ${HOLDS} released ones; ready in ${fmt((performance.now() - t) / 1000)} s`,
      );
      outcomes.push(await benchEngine(engine, dir));
    } finally {
      engine.cleanUp();
    }
  }
  for (const o of outcomes) printOutcome(o);
}

reportLoad('start');
await main();
reportLoad('end');
