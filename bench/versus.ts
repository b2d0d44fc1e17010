// Before/after of one change: this checkout's server against another checkout's (a git
// worktree of the older commit), both shipped builds, side by side in one run.
//
//   git worktree add /tmp/before <commit> && ln -s "$PWD/node_modules" /tmp/before/node_modules
//   npx tsx bench/versus.ts --against /tmp/before [--kind delete|typename] [--rounds 4] [--duration 5]
//
// Alternating rounds of 16 clients each (the order flips every round, so a slow spell of
// the shared machine does not fall on one side), and the median of the server process's
// CPU per request (from /proc): the figure that the load generator's and the other
// server's share of the two cores moves least.
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { type ServerChild, startServer } from './lib/child.ts';
import { processCpu } from './lib/proc-cpu.ts';
import * as seed from './lib/seed.ts';
import { BENCH_KEY, fmt, heading, intArg, reportLoad, table, tempDir } from './lib/util.ts';

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const against = option('against');
if (!against) throw new Error('--against PATH (a checkout of the commit to compare with) is required');
const kind = option('kind') ?? 'delete';
if (kind !== 'delete' && kind !== 'typename') throw new Error('--kind must be delete or typename');
const ROUNDS = intArg('rounds', 4);
const DURATION = intArg('duration', 5);
const CHATS = 60_000;

const DELETE = `mutation($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { deletedMessageCount } } }`;

interface Side {
  label: string;
  server: ServerChild;
  next: number;
  cpu: number[];
  rps: number[];
  bad: number;
}

async function run(side: Side, seconds: number): Promise<{ rps: number; cpu: number }> {
  const before = processCpu(side.server.pid)?.ms ?? Number.NaN;
  const request: autocannon.Request = {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', 'x-api-key': BENCH_KEY },
    body: JSON.stringify({ query: '{ __typename }' }),
    onResponse: (status: number, body: string) => {
      if (status !== 200 || !body.includes(kind === 'delete' ? '"DeleteChatSuccess"' : '"Query"')) side.bad++;
    },
  };
  if (kind === 'delete') {
    request.setupRequest = (req: any) => {
      req.body = JSON.stringify({ query: DELETE, variables: { id: seed.benchId(seed.KIND.chat, side.next++) } });
      return req;
    };
  }
  const result = await autocannon({ url: side.server.url, connections: 16, duration: seconds, requests: [request] });
  const cpu = ((processCpu(side.server.pid)?.ms ?? Number.NaN) - before) / result.requests.total;
  return { rps: result.requests.average, cpu };
}

async function prepare(from: typeof seed, path: string) {
  const b = await from.createBenchDatabase(path);
  if (kind !== 'delete') return;
  const db = from.openForLoad(path);
  from.insertChats(db, b, { first: 1, count: CHATS, perChat: 10, firstMessage: 1 });
  from.finishLoad(db);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function main() {
  heading(`${kind === 'delete' ? 'deleteChat of chats with 10 messages' : '{ __typename }'}: this checkout against ${against}`);
  const dir = tempDir('versus');
  // Each side's database is made by its own checkout: the older one may lack a migration.
  const root = resolve(against!);
  const theirs = (await import(join(root, 'bench', 'lib', 'child.ts'))) as { startServer: typeof startServer };
  const theirSeed = (await import(join(root, 'bench', 'lib', 'seed.ts'))) as typeof seed;
  await prepare(theirSeed, join(dir, 'before.db'));
  await prepare(seed, join(dir, 'after.db'));
  const sides: Side[] = [
    { label: `before (${against})`, server: await theirs.startServer('ours', { db: join(dir, 'before.db') }), next: 1, cpu: [], rps: [], bad: 0 },
    { label: 'after (this checkout)', server: await startServer('ours', { db: join(dir, 'after.db') }), next: 1, cpu: [], rps: [], bad: 0 },
  ];
  for (const side of sides) await run(side, 2);
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const r = await run(side, DURATION);
      side.cpu.push(r.cpu);
      side.rps.push(r.rps);
    }
  }
  for (const side of sides) await side.server.stop();
  const [before, after] = sides as [Side, Side];
  table([
    ['server', 'req/s by round', 'CPU ms a request by round', 'median CPU ms', 'not ok'],
    ...sides.map((s) => [s.label, s.rps.map((x) => fmt(x, 0)).join(' '), s.cpu.map((x) => fmt(x, 3)).join(' '), fmt(median(s.cpu), 3), s.bad]),
  ]);
  console.log(`\nafter / before, median CPU per request: ${fmt(median(after.cpu) / median(before.cpu), 2)}`);
  if (kind === 'delete' && Math.max(before.next, after.next) > CHATS) console.log('WARNING: ran out of chats; fewer rounds or a shorter --duration');
}

reportLoad('start');
await main();
reportLoad('end');
