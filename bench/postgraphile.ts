// Target 1 in PostgreSQL mode: our deleteChat against PostGraphile's generated delete
// mutation (deleteChatById), on the same database and data, 16 concurrent clients for 10 s.
//
//   npx tsx bench/postgraphile.ts [--chats 150000] [--rounds 3] [--duration 10]
//
// A fresh PostgreSQL database (dropped at the end) gets our schema (our migrations), the
// bench tenant and key, and chats of one thread of 10 messages. Both servers run in their
// own processes with a pool of 10 connections; each request deletes a different chat
// (the two servers draw from one list, so none deletes a chat twice). Rounds alternate the
// servers after a 2 s warm-up each; the verdict uses the median round by throughput.
// PostGraphile's delete is one DELETE (the foreign keys cascade to threads and messages);
// ours also checks live connections, cancels running streams, counts what it erases and
// writes an audit entry, in one transaction.
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { createApiKey } from '../src/domain/api-keys.ts';
import { startServer } from './lib/child.ts';
import { KIND, benchId } from './lib/seed.ts';
import { BENCH_KEY, ROOT, fmt, heading, intArg, median, reportLoad, table, tempDir, verdict } from './lib/util.ts';

const CHATS = intArg('chats', 150_000);
const ROUNDS = intArg('rounds', 3);
const DURATION = intArg('duration', 10);
const WARMUP = 2;
const CONNECTIONS = 16;
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const OURS = `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { deletedMessageCount } ... on Error { message } } }`;
const THEIRS = `mutation($id: String!) { deleteChatById(input: { id: $id }) { deletedChatId } }`;

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** bench/postgraphile is its own package (PostGraphile 4 needs graphql 15): installed on first use. */
function installPostGraphile(): string {
  const dir = join(ROOT, 'bench', 'postgraphile');
  if (!existsSync(join(dir, 'node_modules', 'postgraphile'))) {
    console.log('installing bench/postgraphile (npm ci) ...');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
  }
  return dir;
}

async function startPostGraphile(db: string): Promise<Server> {
  const dir = installPostGraphile();
  const child: ChildProcess = fork(join(dir, 'server.mjs'), [], {
    cwd: dir,
    execArgv: [],
    env: { ...process.env, BENCH_DB: db },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`PostGraphile exited with code ${code}`)));
    child.on('message', (m: { type?: string; url?: string }) => m.type === 'ready' && resolve(m.url!));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.send({ type: 'stop' });
      }),
  };
}

/** Our schema, the bench key, and CHATS chats of one thread of 10 messages, in bulk SQL. */
async function fill(db: string) {
  const app = await createApp({ ...loadConfig({}), databaseUrl: db }, { purgeTimer: false });
  const { tenantId } = await createApiKey(app.deps.store.db, { tenant: 'bench', name: 'bench-key', key: BENCH_KEY }, new Date().toISOString());
  await app.close();
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  const id = (kind: number, expr: string) => `lpad(to_hex(${kind}), 8, '0') || '-0000-4000-8000-' || lpad((${expr})::text, 12, '0')`;
  const at = `'2025-01-01T00:00:00.000Z'`;
  const flowId = benchId(KIND.flow, 1);
  await client.query(`insert into flows (id, tenant_id, name, type, created_at) values ($1, $2, 'Bench flow', 'CHATFLOW', ${at})`, [flowId, tenantId]);
  await client.query(
    `insert into chats (id, tenant_id, flow_id, title, version, created_at, updated_at)
     select ${id(KIND.chat, 'i')}, $1, $2, 'Bench chat ' || i, 1, ${at}, ${at} from generate_series(1, ${CHATS}) i`,
    [tenantId, flowId],
  );
  await client.query(
    `insert into threads (id, tenant_id, chat_id, flow_id, title, version, created_at, updated_at)
     select ${id(KIND.thread, 'i')}, $1, ${id(KIND.chat, 'i')}, $2, 'Thread', 1, ${at}, ${at} from generate_series(1, ${CHATS}) i`,
    [tenantId, flowId],
  );
  await client.query(
    `insert into messages (id, tenant_id, flow_id, chat_id, thread_id, role, content, session_id, chat_type, created_at)
     select ${id(KIND.message, 'j')}, $1, $2, ${id(KIND.chat, '(j - 1) / 10 + 1')}, ${id(KIND.thread, '(j - 1) / 10 + 1')},
            case j % 2 when 0 then 'USER' else 'ASSISTANT' end, 'bench message number ' || j || repeat(' lorem ipsum', 8),
            'session-' || ((j - 1) / 10 + 1), 'INTERNAL', ${at}
     from generate_series(1, ${CHATS * 10}) j`,
    [tenantId, flowId],
  );
  await client.query('analyze');
  await client.end();
  if (benchId(KIND.chat, 7) !== `00000001-0000-4000-8000-${'7'.padStart(12, '0')}`) throw new Error('chat ids differ from the bench seed');
}

interface Run {
  label: string;
  reqPerSec: number;
  p99: number;
  ok: number;
  bad: number;
}

async function load(label: string, server: Server, query: string, expect: string, next: () => number, headers: Record<string, string>, seconds: number): Promise<Run> {
  let ok = 0;
  let bad = 0;
  let firstBad: string | undefined;
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', ...headers },
        setupRequest: (req: any) => {
          req.body = JSON.stringify({ query, variables: { id: benchId(KIND.chat, next()) } });
          return req;
        },
        onResponse: (status: number, body: string) => {
          if (status === 200 && body.includes(expect) && !body.includes('"errors"')) ok++;
          else {
            bad++;
            firstBad ??= `${status} ${body.slice(0, 300)}`;
          }
        },
      },
    ],
  });
  if (firstBad) console.warn(`  ${label}: ${bad} unexpected answers, the first: ${firstBad}`);
  return { label, reqPerSec: result.requests.average, p99: result.latency.p99, ok, bad: bad + result.errors + result.timeouts };
}

async function main() {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  try {
    await admin.connect();
  } catch (error) {
    console.log(`SKIPPED: PostgreSQL is not reachable at ${ADMIN_URL} (${(error as Error).message}); set BENCH_PG_URL`);
    return;
  }
  const name = `bench_pg_${process.pid}`;
  await admin.query(`create database ${name}`);
  const db = Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();
  let ours: Awaited<ReturnType<typeof startServer>> | undefined;
  let theirs: Server | undefined;
  try {
    heading(`Target 1 on PostgreSQL: deleteChat vs PostGraphile's deleteChatById, ${CONNECTIONS} clients, ${DURATION} s`);
    const t = performance.now();
    await fill(db);
    console.log(`data: ${CHATS.toLocaleString('en-US')} chats of 10 messages, ready in ${fmt((performance.now() - t) / 1000)} s`);
    ours = await startServer('ours', { db, log: join(tempDir('postgraphile'), 'ours.log') });
    theirs = await startPostGraphile(db);
    let nextChat = 1;
    const next = () => nextChat++;
    const rounds: { ours: Run; theirs: Run }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const oursServer: Server = { url: ours.url, stop: async () => {} };
      await load('ours warm-up', oursServer, OURS, '"DeleteChatSuccess"', next, { 'x-api-key': BENCH_KEY }, WARMUP);
      const o = await load(`ours, round ${round}`, oursServer, OURS, '"DeleteChatSuccess"', next, { 'x-api-key': BENCH_KEY }, DURATION);
      await load('PostGraphile warm-up', theirs, THEIRS, '"deletedChatId"', next, {}, WARMUP);
      const p = await load(`PostGraphile, round ${round}`, theirs, THEIRS, '"deletedChatId"', next, {}, DURATION);
      rounds.push({ ours: o, theirs: p });
      console.log(`  round ${round}: ours ${fmt(o.reqPerSec, 0)} req/s (p99 ${o.p99} ms), PostGraphile ${fmt(p.reqPerSec, 0)} req/s (p99 ${p.p99} ms)`);
      if (nextChat > CHATS) throw new Error(`ran out of chats (${nextChat} > ${CHATS}): rerun with --chats ${nextChat * 2}`);
    }
    const check = new pg.Client({ connectionString: db });
    await check.connect();
    const { rows } = await check.query(`select count(*)::int as n from chats where id <= $1`, [benchId(KIND.chat, nextChat - 1)]);
    await check.end();
    console.log('');
    table([
      ['server', 'round', 'req/s', 'p99 ms', 'ok', 'not ok'],
      ...rounds.flatMap((r, i) => [
        ['ours (deleteChat)', i + 1, fmt(r.ours.reqPerSec, 0), r.ours.p99, r.ours.ok, r.ours.bad],
        ['PostGraphile (deleteChatById)', i + 1, fmt(r.theirs.reqPerSec, 0), r.theirs.p99, r.theirs.ok, r.theirs.bad],
      ]),
    ]);
    const mid = [...rounds].sort((a, b) => a.ours.reqPerSec / a.theirs.reqPerSec - b.ours.reqPerSec / b.theirs.reqPerSec)[Math.floor(rounds.length / 2)]!;
    const ratio = mid.ours.reqPerSec / mid.theirs.reqPerSec;
    console.log(`\nchats asked for deletion: ${nextChat - 1}; of those, still in the database: ${rows[0].n} (answers in flight when a run ended may add a few)`);
    console.log('');
    table([
      ['figure', 'ours', 'PostGraphile', 'ratio', 'target', 'verdict'],
      ['deleteChat throughput (req/s), median round', fmt(mid.ours.reqPerSec, 0), fmt(mid.theirs.reqPerSec, 0), fmt(ratio, 2), '>= 1.0', verdict(ratio >= 1)],
      ['p99 latency (ms), same round', mid.ours.p99, mid.theirs.p99, fmt(mid.ours.p99 / mid.theirs.p99, 2), '(info)', ''],
      ['median req/s over the rounds', fmt(median(rounds.map((r) => r.ours.reqPerSec)), 0), fmt(median(rounds.map((r) => r.theirs.reqPerSec)), 0), '', '', ''],
    ]);
  } finally {
    await ours?.stop();
    await theirs?.stop();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

reportLoad('start');
await main();
reportLoad('end');
