// Target 5, where the memory goes: the server's RSS as shipped (the esbuild bundle run by
// node with the serve script's flags, as `npm start` does) against the very same code run
// from TypeScript through tsx (as `npm run dev` and bin/chat-gateway.js do), idle and
// after a 10 s query load (16 connections).
//
//   npx tsx bench/memory.ts [--duration 10]
//
// Not a target by itself: it tells how much of the RSS the runtime compiler costs, and
// (heap after a forced full GC, --expose-gc) whether the growth under load is retained
// memory or garbage not yet collected.
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startServer } from './lib/child.ts';
import { createBenchDatabase, finishLoad, insertChats, openForLoad } from './lib/seed.ts';
import { BENCH_KEY, HttpClient, fmt, heading, intArg, mb, reportLoad, table, tempDir } from './lib/util.ts';

const DURATION = intArg('duration', 10);
const QUERY = `{ flows(first: 5) { edges { node { id name chats(first: 20) { edges { node { id title messageCount } } } } } } }`;

async function measure(label: string, db: string, tsx: boolean) {
  const server = await startServer('ours', { db, tsx, nodeFlags: ['--expose-gc'] });
  const client = new HttpClient(server.url);
  await client.gql(QUERY);
  const idle = await server.memory();
  const result = await autocannon({
    url: server.url,
    connections: 16,
    duration: DURATION,
    requests: [{ method: 'POST', path: '/graphql', headers: { 'content-type': 'application/json', 'x-api-key': BENCH_KEY }, body: JSON.stringify({ query: QUERY }) }],
  });
  const loaded = await server.memory();
  const collected = await server.memoryAfterGc();
  client.close();
  await server.stop();
  return { label, idle, loaded, collected, reqPerSec: result.requests.average, errors: result.errors + result.non2xx };
}

async function main() {
  const dir = tempDir('memory');
  heading('Target 5: server RSS, as shipped (bundle) vs through tsx');
  const b = await createBenchDatabase(join(dir, 'bench.db'));
  const load = openForLoad(b.path);
  insertChats(load, b, { first: 1, count: 1000, perChat: 10, firstMessage: 1 });
  finishLoad(load);
  const runs = [
    await measure('TypeScript through tsx (npm run dev, bin/chat-gateway.js)', b.path, true),
    await measure('as shipped: the esbuild bundle, node with the serve flags (npm start)', b.path, false),
  ];
  console.log('');
  table([
    ['server', 'RSS idle', 'heap idle', `RSS after ${DURATION} s of load`, 'heap after', 'heap after a full GC', 'req/s', 'target < 200 MB'],
    ...runs.map((r) => [
      r.label,
      mb(r.idle.rss),
      mb(r.idle.heapUsed),
      mb(r.loaded.rss),
      mb(r.loaded.heapUsed),
      mb(r.collected.heapUsed),
      fmt(r.reqPerSec, 0),
      r.loaded.rss < 200 * 1024 * 1024 ? 'MET' : 'MISSED',
    ]),
  ]);
  if (runs.some((r) => r.errors > 0)) console.log('WARNING: some requests failed');
}

reportLoad('start');
await main();
reportLoad('end');
