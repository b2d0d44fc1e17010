// Target 4: the reads the deletes depend on take a constant number of SQL statements.
//
//   npx tsx bench/reads.ts [--chats 1000] [--repeat 7]
//
// Listing 1,000 chats with their message counts (chats(first: 100) x 10 pages: the API
// caps a page at 100) and resolving 1,000 Chat entities through `_entities` (with their
// message counts), over HTTP. Statements are counted by createApp's onQuery observer in
// the server process; "constant" is checked by asking for 10 and for 100 per page, and
// for 10 and for 1,000 entities: the count must not change. Baseline: the raw server
// (node:http + better-sqlite3, prepared statements) answering the same requests with the
// same SQL (key lookup, keyset page, grouped counts; chats by id, grouped counts).
// Times are medians of --repeat runs after a warm-up.
import { join } from 'node:path';
import { type ServerChild, startServer } from './lib/child.ts';
import { KIND, benchId, copyDatabase, createBenchDatabase, finishLoad, insertChats, openForLoad } from './lib/seed.ts';
import { BENCH_KEY, fmt, heading, HttpClient, intArg, median, reportLoad, table, tempDir, verdict } from './lib/util.ts';

const CHATS = intArg('chats', 1_000);
const REPEAT = intArg('repeat', 7);
const PAGE = 100;

const PAGE_QUERY = `query ChatsPage($first: Int!, $after: String) {
  chats(first: $first, after: $after) { edges { node { id title messageCount } } pageInfo { hasNextPage endCursor } } }`;
const ENTITIES_QUERY = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Chat { id title messageCount } } }`;

async function call(client: HttpClient, operationName: string, query: string, variables: Record<string, unknown>) {
  const { status, body } = await client.post('/graphql', { operationName, query, variables }, { 'x-api-key': BENCH_KEY });
  if (status !== 200 || body.errors) throw new Error(`${operationName} failed (${status}): ${JSON.stringify(body).slice(0, 400)}`);
  return body.data;
}

/** All chats, `first` per page; answers the chats seen and their message-count total. */
async function listAll(client: HttpClient, first: number, limit = CHATS) {
  let after: string | null = null;
  let seen = 0;
  let messages = 0;
  let pages = 0;
  do {
    const data: any = await call(client, 'ChatsPage', PAGE_QUERY, { first, after });
    pages++;
    for (const e of data.chats.edges) {
      seen++;
      messages += e.node.messageCount;
    }
    after = data.chats.pageInfo.hasNextPage && seen < limit ? data.chats.pageInfo.endCursor : null;
  } while (after);
  return { seen, messages, pages };
}

async function entities(client: HttpClient, n: number) {
  const representations = Array.from({ length: n }, (_, i) => ({ __typename: 'Chat', id: benchId(KIND.chat, i + 1) }));
  const data: any = await call(client, 'Entities', ENTITIES_QUERY, { representations });
  const resolved = (data._entities as ({ messageCount: number } | null)[]).filter((e) => e !== null);
  return { resolved: resolved.length, messages: resolved.reduce((a, e) => a + e!.messageCount, 0) };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

async function medianOf<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  await work(); // warm-up
  const runs: { ms: number; result: T }[] = [];
  for (let i = 0; i < REPEAT; i++) runs.push(await timed(work));
  return { ms: median(runs.map((r) => r.ms)), result: runs[0]!.result };
}

async function statementsOf(server: ServerChild, work: () => Promise<unknown>) {
  await server.queriesReset();
  await work();
  return (await server.queries()).count;
}

async function main() {
  const dir = tempDir('reads');
  heading(`Target 4: listing ${CHATS} chats with message counts, and ${CHATS} federation entities`);
  const pristine = join(dir, 'pristine.db');
  const b = await createBenchDatabase(pristine);
  const load = openForLoad(pristine);
  insertChats(load, b, { first: 1, count: CHATS, perChat: 10, firstMessage: 1 });
  finishLoad(load);
  const rawDb = join(dir, 'raw.db');
  copyDatabase(pristine, rawDb);
  console.log(`data: ${CHATS} chats x 10 messages`);

  const ours = await startServer('ours', { db: pristine, recordQueries: true });
  const raw = await startServer('raw', { db: rawDb });
  const oc = new HttpClient(ours.url);
  const rc = new HttpClient(raw.url);

  const expected = { seen: CHATS, messages: CHATS * 10 };
  const oursList = await medianOf(() => listAll(oc, PAGE));
  const rawList = await medianOf(() => listAll(rc, PAGE));
  const oursEntities = await medianOf(() => entities(oc, CHATS));
  const rawEntities = await medianOf(() => entities(rc, CHATS));
  for (const [label, r] of [
    ['ours list', oursList.result],
    ['baseline list', rawList.result],
  ] as const)
    if (r.seen !== expected.seen || r.messages !== expected.messages) throw new Error(`${label}: ${JSON.stringify(r)} != ${JSON.stringify(expected)}`);
  for (const [label, r] of [
    ['ours entities', oursEntities.result],
    ['baseline entities', rawEntities.result],
  ] as const)
    if (r.resolved !== CHATS || r.messages !== expected.messages) throw new Error(`${label}: ${JSON.stringify(r)}`);

  // Statement counts: one page of 10 vs one of 100; 10 entities vs 1,000; the whole listing.
  const page10 = await statementsOf(ours, () => call(oc, 'ChatsPage', PAGE_QUERY, { first: 10 }));
  const page100 = await statementsOf(ours, () => call(oc, 'ChatsPage', PAGE_QUERY, { first: PAGE }));
  const listing = await statementsOf(ours, () => listAll(oc, PAGE));
  const entities10 = await statementsOf(ours, () => entities(oc, 10));
  const entitiesAll = await statementsOf(ours, () => entities(oc, CHATS));
  const log = await ours.queries();

  oc.close();
  rc.close();
  await ours.stop();
  await raw.stop();

  console.log(`\nSQL statements of one _entities call of ${CHATS} chats:`);
  for (const s of log.statements) console.log(`  ${s.length > 160 ? `${s.slice(0, 160)}… (${s.length} chars)` : s}`);
  console.log('');
  table([
    ['read', 'ours ms', 'baseline ms', 'ratio', 'ours SQL statements', 'baseline SQL statements'],
    [`list ${CHATS} chats + messageCount (${oursList.result.pages} pages of ${PAGE})`, fmt(oursList.ms, 1), fmt(rawList.ms, 1), fmt(oursList.ms / rawList.ms, 2), listing, rawList.result.pages * 3],
    [`_entities: ${CHATS} Chat + messageCount`, fmt(oursEntities.ms, 1), fmt(rawEntities.ms, 1), fmt(oursEntities.ms / rawEntities.ms, 2), entitiesAll, 3],
  ]);
  console.log('');
  table([
    ['target: constant number of SQL statements (no N+1)', 'finding', 'verdict'],
    ['a page of chats with messageCount', `${page10} statements for 10 chats, ${page100} for 100`, verdict(page10 === page100)],
    ['listing all chats', `${listing} statements for ${oursList.result.pages} pages (${fmt(listing / oursList.result.pages, 1)} per page)`, verdict(listing === page100 * oursList.result.pages)],
    ['_entities with messageCount', `${entities10} statements for 10, ${entitiesAll} for ${CHATS}`, verdict(entities10 === entitiesAll)],
  ]);
}

reportLoad('start');
await main();
reportLoad('end');
