// Issue 17: a retention run erasing 1,000,000 expired messages over 10,000 chats, against
// the raw engine erasing the same chats.
//
//   npx tsx bench/retention.ts [--chats 10000] [--messages-per-chat 100] [--profile]
//
// Data: CHATS chats of one thread of PER_CHAT messages each, all last active in 2025 (so
// past a 30-day default policy), and 1,000 chats active today that must stay. Baseline:
// better-sqlite3 with the product's pragmas on an identical copy, `DELETE FROM chats WHERE
// id IN (…)` (ON DELETE CASCADE) for the same chats, 100 per transaction (the same
// batching a fair hand-written job would use, and short transactions, as ours), then one
// wal_checkpoint(TRUNCATE): the same erasure. Ours: `runRetention` over HTTP on the server
// as shipped (its own process); meanwhile a small query every 10 ms. Target: the server's
// longest event-loop stall (monitorEventLoopDelay inside it) stays at or under 50 ms. Also
// shown: the run's time against the baseline's, the small queries' latency, the RSS.
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { startServer } from './lib/child.ts';
import { printProfile, summariseProfile } from './lib/profile.ts';
import { KIND, benchId, copyDatabase, createBenchDatabase, finishLoad, insertChats, openForLoad } from './lib/seed.ts';
import { openLikeProduct } from './lib/sqlite.ts';
import { HttpClient, flagArg, fmt, heading, intArg, mb, percentile, reportLoad, table, tempDir, verdict } from './lib/util.ts';

const CHATS = intArg('chats', 10_000);
const PER_CHAT = intArg('messages-per-chat', 100);
const RECENT = 1_000;
const BATCH = 100;
const PROFILE = flagArg('profile');

const PROBE = `{ flows(first: 1) { edges { node { id } } } }`;
const SET_POLICY = `mutation { setRetentionPolicy(input: { maxAgeDays: 30 }) { __typename ... on Error { message } } }`;
const RUN = `mutation { runRetention { __typename ... on RunRetentionSuccess { erasedChatCount erasedMessageCount heldChatCount } ... on Error { message } } }`;

async function main() {
  const dir = tempDir('retention');
  heading(`Issue 17: a retention run erasing ${(CHATS * PER_CHAT).toLocaleString('en-US')} messages over ${CHATS.toLocaleString('en-US')} chats`);
  reportLoad('start');
  let t = performance.now();
  const pristine = join(dir, 'pristine.db');
  const b = await createBenchDatabase(pristine);
  const load = openForLoad(pristine);
  insertChats(load, b, { first: 1, count: CHATS, perChat: PER_CHAT, firstMessage: 1 });
  insertChats(load, b, { first: CHATS + 1, count: RECENT, perChat: 5, firstMessage: CHATS * PER_CHAT + 1 });
  // The recent chats were active today: their messages are dated now.
  const today = new Date().toISOString();
  load.prepare(`update messages set created_at = ? where chat_id in (select id from chats where title in (${Array.from({ length: RECENT }, () => '?').join(',')}))`).run(
    today,
    ...Array.from({ length: RECENT }, (_, i) => `Bench chat ${CHATS + 1 + i}`),
  );
  // runRetention and setRetentionPolicy need an admin key.
  load.prepare(`update api_keys set scopes = 'read,write,delete,admin'`).run();
  finishLoad(load);
  const rawDb = join(dir, 'raw.db');
  const oursDb = join(dir, 'ours.db');
  copyDatabase(pristine, rawDb);
  copyDatabase(pristine, oursDb);
  console.log(`data ready in ${fmt((performance.now() - t) / 1000)} s`);
  const expired = Array.from({ length: CHATS }, (_, i) => benchId(KIND.chat, i + 1));

  // --- baseline -------------------------------------------------------------------------
  const raw = openLikeProduct(rawDb);
  const del = raw.prepare(`DELETE FROM chats WHERE id IN (${Array.from({ length: BATCH }, () => '?').join(',')})`);
  const erase = raw.transaction((ids: string[]) => del.run(...ids));
  let rawLongestMs = 0;
  t = performance.now();
  for (let i = 0; i < expired.length; i += BATCH) {
    const s = performance.now();
    const ids = expired.slice(i, i + BATCH);
    if (ids.length === BATCH) erase(ids);
    else raw.transaction(() => raw.prepare(`DELETE FROM chats WHERE id IN (${ids.map(() => '?').join(',')})`).run(...ids))();
    rawLongestMs = Math.max(rawLongestMs, performance.now() - s);
  }
  raw.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
  const rawMs = performance.now() - t;
  const rawLeft = (raw.prepare('select count(*) as n from messages').get() as { n: number }).n;
  raw.close();
  if (rawLeft !== RECENT * 5) throw new Error(`the baseline left ${rawLeft} messages, not the ${RECENT * 5} of the recent chats`);

  // --- ours -----------------------------------------------------------------------------
  const server = await startServer('ours', { db: oursDb, recordQueries: true });
  const client = new HttpClient(server.url);
  const prober = new HttpClient(server.url);
  for (let i = 0; i < 50; i++) await prober.gql(PROBE);
  const set = (await client.gql(SET_POLICY)).setRetentionPolicy;
  if (set.__typename !== 'SetRetentionPolicySuccess') throw new Error(`setRetentionPolicy answered ${JSON.stringify(set)}`);
  const probes: number[] = [];
  let probeErrors = 0;
  const inFlight = new Set<Promise<void>>();
  const probeTimer = setInterval(() => {
    const start = performance.now();
    const p = prober
      .gql(PROBE)
      .then(
        () => void probes.push(performance.now() - start),
        () => void probeErrors++,
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, 10);
  await server.loopReset();
  await server.queriesReset();
  if (PROFILE) await server.profileStart(1000);
  t = performance.now();
  const run = (await client.gql(RUN)).runRetention;
  const oursMs = performance.now() - t;
  const loop = await server.loopStats();
  const profileFile = join(dir, 'retention.cpuprofile');
  if (PROFILE) await server.profileStop(profileFile);
  clearInterval(probeTimer);
  await Promise.all(inFlight);
  const memory = await server.memory();
  const log = await server.queries();
  client.close();
  prober.close();
  await server.stop();
  const check = new SQLite(oursDb, { readonly: true });
  const left = (check.prepare('select count(*) as n from messages').get() as { n: number }).n;
  check.close();
  if (run.__typename !== 'RunRetentionSuccess') throw new Error(`runRetention answered ${JSON.stringify(run)}`);

  table([
    ['figure', 'ours: runRetention', 'baseline: raw DELETEs, 100 chats a transaction'],
    ['chats erased', String(run.erasedChatCount), String(CHATS)],
    ['messages erased', String(run.erasedMessageCount), String(CHATS * PER_CHAT)],
    ['messages left (the recent chats: 5 each)', String(left), String(rawLeft)],
    ['time, s', fmt(oursMs / 1000, 1), fmt(rawMs / 1000, 1)],
    ['longest stall of the event loop, ms', fmt(loop.maxMs, 1), `${fmt(rawLongestMs, 1)} (its longest transaction)`],
    ['small query every 10 ms: count / p50 / p99 / max ms', `${probes.length} / ${fmt(percentile(probes, 50), 1)} / ${fmt(percentile(probes, 99), 1)} / ${fmt(Math.max(...probes), 1)}`, ''],
    ['small query errors', String(probeErrors), ''],
    ['server RSS after the run', mb(memory.rss), ''],
  ]);
  console.log('\nour SQL during the run, by longest single run (each holds the event loop that long):');
  table([
    ['statement', 'count', 'max ms', 'avg ms', 'total ms'],
    ...log.byStatement
      .sort((a, b) => b.maxMs - a.maxMs)
      .slice(0, 6)
      .map((x) => [x.sql.length > 90 ? `${x.sql.slice(0, 90)}…` : x.sql, x.count, fmt(x.maxMs, 1), fmt(x.totalMs / x.count, 2), fmt(x.totalMs, 0)]),
  ]);
  console.log('');
  const exact = run.erasedChatCount === CHATS && run.erasedMessageCount === CHATS * PER_CHAT && left === RECENT * 5;
  table([
    ['target', 'ours', 'limit / baseline', 'ratio', 'verdict'],
    ['longest event-loop stall <= 50 ms', `${fmt(loop.maxMs, 1)} ms`, '50 ms', fmt(loop.maxMs / 50, 2), verdict(loop.maxMs <= 50)],
    ['run time against the raw DELETEs (info)', `${fmt(oursMs / 1000, 1)} s`, `${fmt(rawMs / 1000, 1)} s`, fmt(oursMs / rawMs, 2), '(info)'],
    ['exactly the expired chats erased, the recent ones kept', exact ? 'yes' : 'NO', '', '', verdict(exact)],
  ]);
  if (PROFILE) printProfile(summariseProfile(profileFile));
  reportLoad('end');
}

await main();
