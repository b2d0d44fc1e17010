// Target 2 (and 5): deleting one chat of 1,000,000 messages against the raw engine.
//
//   npx tsx bench/large-delete.ts [--messages 1000000] [--profile] [--busy N]
//
// Baseline: one raw `DELETE FROM chats WHERE id = ?` (ON DELETE CASCADE) with
// better-sqlite3 and the product's pragmas, on an identical copy of the data. Ours: the
// deleteChat mutation on the server (its own process): the time until the chat vanishes
// from reads (measured from the mutation's start), until the physical erasure is done
// (the chat row and its erasure job gone, read through a second, read-only connection),
// and until the WAL is truncated; the longest event-loop stall in the server during the
// whole operation (monitorEventLoopDelay inside the server process); the latency of a
// small query sent every 10 ms meanwhile; the server's RSS afterwards. --profile runs the
// V8 CPU profiler in the server for the whole operation (it slows it: quote the figures
// of a run without it) and prints the top self-time functions. --busy N keeps N other
// processes spinning a core each during both the baseline and ours (a busy neighbour).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { startServer } from './lib/child.ts';
import { busyNeighbours } from './lib/neighbours.ts';
import { printProfile, summariseProfile } from './lib/profile.ts';
import { KIND, benchId, copyDatabase, createBenchDatabase, finishLoad, insertChats, openForLoad } from './lib/seed.ts';
import { openLikeProduct } from './lib/sqlite.ts';
import { flagArg, fmt, heading, HttpClient, intArg, mb, percentile, reportLoad, sleep, table, tempDir, verdict } from './lib/util.ts';

const MESSAGES = intArg('messages', 1_000_000);
const PROFILE = flagArg('profile');
const BUSY = process.argv.includes('--busy') ? intArg('busy', 1) : 0;
/** Other chats in the database, so reads have something to answer. */
const OTHER_CHATS = 1_000;
const BIG = OTHER_CHATS + 1;

const PROBE = `{ flows(first: 1) { edges { node { id } } } }`;
const READ_CHAT = `query($id: ID!) { chat(id: $id) { id } }`;
const DELETE = `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { deletedMessageCount deletedThreadCount } ... on Error { message } } }`;

async function main() {
  const dir = tempDir('large');
  heading(`Target 2: deleteChat of a chat with ${MESSAGES.toLocaleString('en-US')} messages`);
  let t = performance.now();
  const pristine = join(dir, 'pristine.db');
  const b = await createBenchDatabase(pristine);
  const load = openForLoad(pristine);
  insertChats(load, b, { first: 1, count: OTHER_CHATS, perChat: 10, firstMessage: 1 });
  insertChats(load, b, { first: BIG, count: 1, perChat: MESSAGES, firstMessage: 100_000_000 });
  finishLoad(load);
  const rawDb = join(dir, 'raw.db');
  const oursDb = join(dir, 'ours.db');
  copyDatabase(pristine, rawDb);
  copyDatabase(pristine, oursDb);
  const size = statSync(pristine).size;
  console.log(
    `data: one chat of ${MESSAGES.toLocaleString('en-US')} messages + ${OTHER_CHATS} chats of 10, ${mb(size)} per copy, ready in ${fmt((performance.now() - t) / 1000)} s`,
  );
  const chatId = benchId(KIND.chat, BIG);

  // --- baseline: one raw DELETE with ON DELETE CASCADE ---------------------------------
  const neighbours = busyNeighbours(BUSY);
  if (BUSY > 0) console.log(`${BUSY} busy neighbour process(es) spin a core each from here to the end of ours`);
  const raw = openLikeProduct(rawDb);
  t = performance.now();
  raw.prepare('DELETE FROM chats WHERE id = ?').run(chatId);
  const rawDeleteMs = performance.now() - t;
  t = performance.now();
  raw.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
  const rawCheckpointMs = performance.now() - t;
  const rawLeft = (raw.prepare('select count(*) as n from messages where chat_id = ?').get(chatId) as { n: number }).n;
  raw.close();
  if (rawLeft !== 0) throw new Error(`the baseline left ${rawLeft} messages`);

  // --- ours ---------------------------------------------------------------------------
  // Every statement is timed (Kysely's log hook: microseconds against chunks of
  // milliseconds) to show which ones hold the event loop.
  const server = await startServer('ours', { db: oursDb, recordQueries: true });
  const reader = new SQLite(oursDb, { readonly: true });
  reader.pragma('busy_timeout = 5000');
  const chatRowExists = reader.prepare('select count(*) as n from chats where id = ?');
  // Unfinished erasure jobs of this chat (finished ones are kept as history where the
  // schema has finished_at).
  const history = (reader.prepare(`select name from pragma_table_info('erasure_jobs')`).all() as { name: string }[]).some((c) => c.name === 'finished_at');
  const jobsLeft = reader.prepare(`select count(*) as n from erasure_jobs where target_id = ?${history ? ' and finished_at is null' : ''}`);
  const wal = `${oursDb}-wal`;

  const mutator = new HttpClient(server.url);
  const poller = new HttpClient(server.url);
  const prober = new HttpClient(server.url);
  for (let i = 0; i < 50; i++) await prober.gql(PROBE); // warm-up
  if (!(await poller.gql(READ_CHAT, { id: chatId })).chat) throw new Error('the big chat is not readable before the delete');

  // A small query every 10 ms (open loop: a slow answer does not delay the next one).
  const probes: { at: number; ms: number }[] = [];
  let probeErrors = 0;
  const inFlight = new Set<Promise<void>>();
  const t0 = performance.now();
  const probeTimer = setInterval(() => {
    const start = performance.now();
    const p = prober
      .gql(PROBE)
      .then(
        () => void probes.push({ at: start - t0, ms: performance.now() - start }),
        () => void probeErrors++,
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }, 10);
  if (PROFILE) await server.profileStart(1000);
  await server.loopReset();
  await server.queriesReset();

  const mutationStart = performance.now();
  const mutation = mutator.gql(DELETE, { id: chatId }).then((data) => ({ data, ms: performance.now() - mutationStart }));
  // Reads of the chat, back to back, until one answers null.
  let vanishMs = Number.NaN;
  let readsBeforeVanish = 0;
  for (;;) {
    const { chat } = await poller.gql(READ_CHAT, { id: chatId });
    if (chat === null) {
      vanishMs = performance.now() - mutationStart;
      break;
    }
    readsBeforeVanish++;
  }
  const { data: answer, ms: mutationMs } = await mutation;
  const result = answer.deleteChat;
  if (result.__typename !== 'DeleteChatSuccess') throw new Error(`deleteChat answered ${JSON.stringify(result)}`);

  // Physical erasure: the chat row goes (and its job ends) in the erasure's last transaction.
  let erasedMs = Number.NaN;
  while (performance.now() - mutationStart < 900_000) {
    const rowLeft = (chatRowExists.get(chatId) as { n: number }).n;
    const jobs = (jobsLeft.get(chatId) as { n: number }).n;
    if (rowLeft === 0 && jobs === 0) {
      erasedMs = performance.now() - mutationStart;
      break;
    }
    await sleep(20);
  }
  // Then the WAL checkpoint (TRUNCATE) that takes the old pages out of the -wal file.
  let walTruncatedMs = Number.NaN;
  while (performance.now() - mutationStart < erasedMs + 30_000) {
    if (!existsSync(wal) || statSync(wal).size === 0) {
      walTruncatedMs = performance.now() - mutationStart;
      break;
    }
    await sleep(5);
  }
  const loop = await server.loopStats();
  const profileFile = join(dir, 'large-delete.cpuprofile');
  if (PROFILE) await server.profileStop(profileFile);
  clearInterval(probeTimer);
  await Promise.all(inFlight);
  const memory = await server.memory();
  const log = await server.queries();
  const left = (reader.prepare('select count(*) as n from messages where chat_id = ?').get(chatId) as { n: number }).n;
  reader.close();
  for (const c of [mutator, poller, prober]) c.close();
  await server.stop();
  neighbours.stop();

  const latencies = probes.map((p) => p.ms);
  const p99 = percentile(latencies, 99);
  const worstProbe = probes.reduce((w, p) => (p.ms > w.ms ? p : w), { at: 0, ms: 0 });

  console.log('\nbaseline (raw DELETE, ON DELETE CASCADE, one statement):');
  table([
    ['step', 'ms'],
    ['DELETE FROM chats WHERE id = ? (the event loop is blocked throughout)', fmt(rawDeleteMs, 0)],
    ['PRAGMA wal_checkpoint(TRUNCATE) after it', fmt(rawCheckpointMs, 0)],
    ['both', fmt(rawDeleteMs + rawCheckpointMs, 0)],
  ]);
  console.log('\nours (deleteChat over HTTP, erasure queue):');
  table([
    ['figure', 'value'],
    ['mutation answered after', `${fmt(mutationMs, 0)} ms`],
    ['deletedMessageCount (exact?)', `${result.deletedMessageCount} (${result.deletedMessageCount === MESSAGES ? 'exact' : `WRONG, expected ${MESSAGES}`})`],
    ['chat gone from reads after', `${fmt(vanishMs, 0)} ms (${readsBeforeVanish} reads still saw it)`],
    ['physical erasure done after', `${fmt(erasedMs, 0)} ms`],
    ['... and the WAL truncated after', `${fmt(walTruncatedMs, 0)} ms`],
    ['longest event-loop stall (monitorEventLoopDelay max, 1 ms resolution)', `${fmt(loop.maxMs, 1)} ms`],
    ['small query every 10 ms: count / p50 / p99 / max', `${latencies.length} / ${fmt(percentile(latencies, 50), 1)} / ${fmt(p99, 1)} / ${fmt(worstProbe.ms, 1)} ms (worst sent at +${fmt(worstProbe.at, 0)} ms)`],
    ['small query errors', String(probeErrors)],
    ['messages of the chat left at the end', String(left)],
    ['server RSS after the run (target 5)', mb(memory.rss)],
  ]);
  console.log('\nour SQL during the operation, by longest single run (each holds the event loop that long):');
  table([
    ['statement', 'count', 'max ms', 'avg ms', 'total ms'],
    ...log.byStatement
      .sort((a, b) => b.maxMs - a.maxMs)
      .slice(0, 8)
      .map((x) => [x.sql.length > 100 ? `${x.sql.slice(0, 100)}…` : x.sql, x.count, fmt(x.maxMs, 1), fmt(x.totalMs / x.count, 2), fmt(x.totalMs, 0)]),
  ]);
  console.log(`all SQL: ${log.count} statements, ${fmt(log.totalMs, 0)} ms (of ${fmt(walTruncatedMs, 0)} ms of the operation)`);
  const erasureRatio = erasedMs / rawDeleteMs;
  console.log('');
  table([
    ['target', 'ours', 'baseline / limit', 'ratio', 'verdict'],
    ['chat vanishes from reads <= 50 ms', `${fmt(vanishMs, 0)} ms`, '50 ms', fmt(vanishMs / 50, 2), verdict(vanishMs <= 50)],
    ['erasure <= 1.3 x raw DELETE', `${fmt(erasedMs, 0)} ms`, `${fmt(rawDeleteMs, 0)} ms`, fmt(erasureRatio, 2), verdict(erasureRatio <= 1.3)],
    ['  (incl. WAL truncation, vs DELETE + checkpoint)', `${fmt(walTruncatedMs, 0)} ms`, `${fmt(rawDeleteMs + rawCheckpointMs, 0)} ms`, fmt(walTruncatedMs / (rawDeleteMs + rawCheckpointMs), 2), '(info)'],
    ['longest event-loop stall <= 50 ms', `${fmt(loop.maxMs, 1)} ms`, '50 ms', fmt(loop.maxMs / 50, 2), verdict(loop.maxMs <= 50)],
    ['small-query p99 <= 100 ms', `${fmt(p99, 1)} ms`, '100 ms', fmt(p99 / 100, 2), verdict(p99 <= 100 && probeErrors === 0)],
    ['RSS after the run < 200 MB (target 5)', mb(memory.rss), '200 MB', fmt(memory.rss / (200 * 1024 * 1024), 2), verdict(memory.rss < 200 * 1024 * 1024)],
    ['exact deletedMessageCount, nothing left', `${result.deletedMessageCount}, ${left} left`, String(MESSAGES), '', verdict(result.deletedMessageCount === MESSAGES && left === 0)],
  ]);
  if (PROFILE) {
    heading('Profile: the server during the whole operation (V8 CPU profiler, 1 ms sampling)');
    printProfile(summariseProfile(profileFile, walTruncatedMs));
  }
}

reportLoad('start');
await main();
reportLoad('end');
