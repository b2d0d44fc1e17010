// Issue 17 (export before delete): streaming one chat of 1,000,000 messages over REST.
//
//   npx tsx bench/export.ts [--messages 1000000] [--rounds 3]
//
// Target: GET /api/v1/chats/{chat_id}/export of a 1,000,000-message chat keeps the server's
// RSS under 200 MB at 50,000 messages/s or better. Baseline: a bare node:http +
// better-sqlite3 handler (bench/lib/raw-export-server.ts) streaming the same NDJSON (same
// records, fields and order; keyset pages of 1,000, 64 K-character writes that wait for
// 'drain') for the same chat from its own copy of the same file. Ours runs as shipped
// (bench/lib/shipped.ts: the bundle, with `npm run serve`'s node flags, which cap the heap at
// 128 MB). Each side runs in its own process; rounds alternate the order (raw, ours / ours,
// raw / ...). The client reads the body as fast as it comes over a loopback socket, counts
// its lines and hashes all but the first (the header, which holds the time of the export):
// both sides must send the very same bytes. Per export: messages/s over the whole response
// (request to last byte), time to the first byte, the server's peak RSS (VmHWM, reset just
// before the request through /proc/PID/clear_refs) and its longest event-loop stall
// (monitorEventLoopDelay inside the server, 1 ms resolution).
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { type ServerChild, startServer } from './lib/child.ts';
import { KIND, benchId, copiesFor, createBenchDatabase, finishLoad, insertChats, openForLoad } from './lib/seed.ts';
import { BENCH_KEY, fmt, heading, intArg, mb, median, reportLoad, table, tempDir, verdict } from './lib/util.ts';

const MESSAGES = intArg('messages', 1_000_000);
const ROUNDS = intArg('rounds', 3);
/** Other chats in the database, so the big one is not all there is. */
const OTHER_CHATS = 1_000;
const BIG = OTHER_CHATS + 1;
const RSS_LIMIT = 200 * 1024 * 1024;
const RATE_TARGET = 50_000;

interface Download {
  status: number;
  bytes: number;
  lines: number;
  firstByteMs: number;
  ms: number;
  /** SHA-256 of the body after its first line. */
  digest: string;
  last: any;
}

/** The export as a client reads it: everything, as fast as it arrives. */
function download(base: string, chatId: string): Promise<Download> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByteMs = Number.NaN;
    const hash = createHash('sha256');
    let bytes = 0;
    let lines = 0;
    let headerDone = false;
    let tail = '';
    const req = request(new URL(`/api/v1/chats/${chatId}/export`, base), { headers: { 'x-api-key': BENCH_KEY }, agent: false }, (res) => {
      res.on('data', (chunk: Buffer) => {
        if (Number.isNaN(firstByteMs)) firstByteMs = performance.now() - started;
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
        let body = chunk;
        if (!headerDone) {
          const newline = chunk.indexOf(10);
          if (newline >= 0) {
            headerDone = true;
            body = chunk.subarray(newline + 1);
          } else body = chunk.subarray(chunk.length);
        }
        hash.update(body);
        tail = (tail + chunk.subarray(Math.max(0, chunk.length - 512)).toString('utf8')).slice(-512);
      });
      res.on('end', () => {
        const lastLine = tail.trimEnd().split('\n').at(-1) ?? '';
        let last: any;
        try {
          last = JSON.parse(lastLine);
        } catch {
          last = lastLine;
        }
        resolve({ status: res.statusCode ?? 0, bytes, lines, firstByteMs, ms: performance.now() - started, digest: hash.digest('hex'), last });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function procStatus(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN) * 1024;
}

interface Run {
  side: 'raw' | 'ours';
  round: number;
  download: Download;
  peakRss: number;
  rssBefore: number;
  stallMs: number;
}

async function exportOnce(side: Run['side'], server: ServerChild, round: number, chatId: string): Promise<Run> {
  await server.loopReset();
  const rssBefore = procStatus(server.pid, 'VmRSS');
  // "5" resets the peak RSS (VmHWM) to the RSS now: the peak is then that of this export.
  writeFileSync(`/proc/${server.pid}/clear_refs`, '5');
  const d = await download(server.url, chatId);
  const peakRss = procStatus(server.pid, 'VmHWM');
  const loop = await server.loopStats();
  if (d.status !== 200) throw new Error(`${side} answered ${d.status}`);
  if (d.lines !== MESSAGES + 4) throw new Error(`${side} sent ${d.lines} lines, expected ${MESSAGES + 4}`);
  if (d.last?.type !== 'end' || d.last.messageCount !== MESSAGES) throw new Error(`${side} ended with ${JSON.stringify(d.last)}`);
  return { side, round, download: d, peakRss, rssBefore, stallMs: loop.maxMs };
}

async function main() {
  const dir = tempDir('export');
  heading(`Issue 17: GET /api/v1/chats/{chat_id}/export of a chat with ${MESSAGES.toLocaleString('en-US')} messages`);
  let t = performance.now();
  const pristine = join(dir, 'pristine.db');
  const b = await createBenchDatabase(pristine);
  const load = openForLoad(pristine);
  insertChats(load, b, { first: 1, count: OTHER_CHATS, perChat: 10, firstMessage: 1 });
  insertChats(load, b, { first: BIG, count: 1, perChat: MESSAGES, firstMessage: 100_000_000, thumbsUpEvery: 10 });
  finishLoad(load);
  const { rawDb, oursDb } = copiesFor(pristine, dir);
  console.log(
    `data: one chat of ${MESSAGES.toLocaleString('en-US')} messages (one thread) + ${OTHER_CHATS} chats of 10, ${mb(statSync(pristine).size)} per copy, ready in ${fmt((performance.now() - t) / 1000)} s`,
  );
  const chatId = benchId(KIND.chat, BIG);

  const raw = await startServer('raw-export', { db: rawDb });
  const ours = await startServer('ours', { db: oursDb });
  const runs: Run[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const order: Run['side'][] = round % 2 === 1 ? ['raw', 'ours'] : ['ours', 'raw'];
      for (const side of order) {
        t = performance.now();
        const run = await exportOnce(side, side === 'raw' ? raw : ours, round, chatId);
        runs.push(run);
        console.log(`round ${round} ${side}: ${fmt(MESSAGES / (run.download.ms / 1000), 0)} messages/s, peak RSS ${mb(run.peakRss)}, stall ${fmt(run.stallMs, 1)} ms`);
      }
    }
  } finally {
    await raw.stop();
    await ours.stop();
  }

  const digests = new Set(runs.map((r) => r.download.digest));
  const bytes = runs[0]!.download.bytes;
  console.log(`\nevery export: ${(MESSAGES + 4).toLocaleString('en-US')} lines, ${mb(bytes)}; bodies after the header line ${digests.size === 1 ? 'identical on both sides in every round' : `DIFFER (${digests.size} digests)`}`);
  table([
    ['side', 'round', 'messages/s', 'MB/s', 'total s', 'first byte ms', 'RSS before', 'peak RSS', 'longest stall ms'],
    ...runs.map((r) => [
      r.side,
      r.round,
      fmt(MESSAGES / (r.download.ms / 1000), 0),
      fmt(r.download.bytes / 1024 / 1024 / (r.download.ms / 1000), 1),
      fmt(r.download.ms / 1000, 2),
      fmt(r.download.firstByteMs, 1),
      mb(r.rssBefore),
      mb(r.peakRss),
      fmt(r.stallMs, 1),
    ]),
  ]);
  const rate = (side: Run['side']) => median(runs.filter((r) => r.side === side).map((r) => MESSAGES / (r.download.ms / 1000)));
  const peak = (side: Run['side']) => Math.max(...runs.filter((r) => r.side === side).map((r) => r.peakRss));
  const stall = (side: Run['side']) => Math.max(...runs.filter((r) => r.side === side).map((r) => r.stallMs));
  const [oursRate, rawRate] = [rate('ours'), rate('raw')];
  console.log('');
  table([
    ['figure (median rate, worst peak and stall over the rounds)', 'ours', 'raw baseline', 'ours / raw', 'target', 'verdict'],
    ['messages/s', fmt(oursRate, 0), fmt(rawRate, 0), fmt(oursRate / rawRate, 2), `>= ${RATE_TARGET.toLocaleString('en-US')}`, verdict(oursRate >= RATE_TARGET)],
    ['peak RSS of the server during an export', mb(peak('ours')), mb(peak('raw')), fmt(peak('ours') / peak('raw'), 2), '< 200 MB', verdict(peak('ours') < RSS_LIMIT)],
    ['longest event-loop stall', `${fmt(stall('ours'), 1)} ms`, `${fmt(stall('raw'), 1)} ms`, fmt(stall('ours') / stall('raw'), 2), '(info)', ''],
    ['same bytes as the baseline', digests.size === 1 ? 'yes' : 'NO', '', '', '', verdict(digests.size === 1)],
  ]);
}

reportLoad('start');
await main();
reportLoad('end');
