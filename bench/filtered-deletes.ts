// Target 3: filtered deletes (deleteMessages) on a flow of 2,000,000 messages.
//
//   npx tsx bench/filtered-deletes.ts [--messages 2000000] [--budget 60]
//
// The flow holds chats of one thread of 100 messages each (USER / ASSISTANT alternating,
// one session per chat, every 40th message rated THUMBS_UP). Three filter paths — a date
// range, a session, a feedback type — each delete 1 k, 10 k and 100 k matched messages
// from disjoint blocks of chats, so the table stays about the same size throughout. The
// feedback blocks are rated THUMBS_DOWN (every ASSISTANT message: half the block; their
// USER prompts make the other half) just before their own delete, on both copies.
// Baseline: the same delete as one raw SQL statement (same semantics: live threads only,
// the prompts of rated messages) + the WAL checkpoint the product does, on an identical
// copy. A second flow, a tenth of the size, gets the 1 k deletes too: time that depends
// on the matched rows and not on the table is the same on both. A delete projected (from
// the previous size, linearly) to take longer than --budget seconds is skipped and said
// so, to keep the script within minutes. Then EXPLAIN QUERY PLAN of every statement our
// server ran that touches messages, flagging any full scan of messages (and noting full
// scans of other tables, which also grow with the data).
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { type LoopStats, type ServerChild, startServer } from './lib/child.ts';
import { KIND, benchId, copyDatabase, createBenchDatabase, finishLoad, insertChats, isoAt, openForLoad } from './lib/seed.ts';
import { openLikeProduct } from './lib/sqlite.ts';
import { fmt, heading, HttpClient, intArg, reportLoad, table, tempDir, verdict } from './lib/util.ts';

const MESSAGES = intArg('messages', 2_000_000);
const BUDGET_MS = intArg('budget', 60) * 1000;
const PER_CHAT = 100;
const CHATS = Math.floor(MESSAGES / PER_CHAT);
/** The small flow: a tenth of the big one. */
const SMALL_CHATS = Math.floor(CHATS / 10);
const PATHS = ['date range', 'session', 'feedback'] as const;
type Path = (typeof PATHS)[number];
/** Matched sizes that fit: three paths of disjoint blocks must leave most of the table untouched. */
const SIZES = [1_000, 10_000, 100_000].filter((_, i, all) => (3 * all.slice(0, i + 1).reduce((a, b) => a + b, 0)) / PER_CHAT <= CHATS * 0.6);

const DELETE = `mutation($flowId: ID!, $filter: MessageFilter) {
  deleteMessages(flowId: $flowId, filter: $filter) { __typename ... on DeleteMessagesSuccess { affected } ... on Error { message } } }`;

interface Block {
  flow: 'big' | 'small';
  flowId: string;
  path: Path;
  size: number;
  first: number;
  last: number;
}

/** Disjoint blocks of chats, spread with equal gaps over the chats [firstChat, firstChat + chats). */
function layout(flow: Block['flow'], flowId: string, firstChat: number, chats: number, sizes: number[]): Block[] {
  const blocks: Block[] = [];
  for (const path of PATHS) for (const size of sizes) blocks.push({ flow, flowId, path, size, first: 0, last: 0 });
  const used = blocks.reduce((a, b) => a + b.size / PER_CHAT, 0);
  const gap = Math.floor((chats - used) / (blocks.length + 1));
  let at = firstChat + gap;
  for (const b of blocks) {
    b.first = at;
    b.last = at + b.size / PER_CHAT - 1;
    at = b.last + 1 + gap;
  }
  return blocks;
}

const sessionOf = (b: Block) => `bench-session-${b.flow}-${b.size}`;

function filterOf(b: Block): Record<string, unknown> {
  switch (b.path) {
    case 'date range':
      return { startDate: isoAt(b.first), endDate: isoAt(b.last + (PER_CHAT - 1) / 1000) };
    case 'session':
      return { sessionId: sessionOf(b) };
    case 'feedback':
      return { feedbackTypes: ['THUMBS_DOWN'] };
  }
}

/** The same selection as one raw statement (live threads only; prompts of rated messages). */
function rawDelete(db: SQLite.Database, b: Block): number {
  const flowId = b.flowId;
  const live = `thread_id in (select id from threads where flow_id = @flow and deleted_at is null)`;
  let sql: string;
  let params: Record<string, unknown> = { flow: flowId };
  if (b.path === 'date range') {
    const f = filterOf(b);
    sql = `delete from messages where flow_id = @flow and created_at >= @start and created_at <= @end and ${live}`;
    params = { ...params, start: f.startDate, end: f.endDate };
  } else if (b.path === 'session') {
    sql = `delete from messages where flow_id = @flow and session_id = @session and ${live}`;
    params = { ...params, session: sessionOf(b) };
  } else {
    sql = `delete from messages where id in (
             select id from messages where flow_id = @flow and feedback = 'THUMBS_DOWN' and ${live}
             union all
             select (select p.id from messages p where p.thread_id = r.thread_id and p.role = 'USER'
                       and (p.created_at, p.id) < (r.created_at, r.id) order by p.created_at desc, p.id desc limit 1)
             from messages r where r.flow_id = @flow and r.feedback = 'THUMBS_DOWN' and r.${live})`;
  }
  const changes = db.prepare(sql).run(params).changes;
  db.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
  return changes;
}

/** Rates every ASSISTANT message of the block THUMBS_DOWN (before its feedback delete). */
function rateBlock(db: SQLite.Database, b: Block) {
  db.prepare(`update messages set feedback = 'THUMBS_DOWN' where chat_id >= ? and chat_id <= ? and role = 'ASSISTANT'`).run(
    benchId(KIND.chat, b.first),
    benchId(KIND.chat, b.last),
  );
}

interface Measured {
  block: Block;
  skipped?: string;
  oursMs: number;
  oursAffected: number;
  loop: LoopStats;
  rawMs: number;
  rawAffected: number;
  statements: string[];
}

const MESSAGE_ALIAS_STOP = new Set(['where', 'inner', 'left', 'join', 'on', 'set', 'order', 'group', 'limit', 'values', 'as', 'union', 'and', 'or']);

/** The names `messages` goes by in a statement (the table and its aliases). */
function messageNames(sql: string): Set<string> {
  const names = new Set(['messages']);
  for (const m of sql.matchAll(/"?messages"?\s+(?:as\s+)?"?([a-z_]\w*)"?/gi)) {
    const alias = m[1]!.toLowerCase();
    if (!MESSAGE_ALIAS_STOP.has(alias)) names.add(alias);
  }
  return names;
}

function placeholders(sql: string): number {
  // Kysely writes values as `?`; string literals in our SQL ('USER', 'TOKEN') hold none.
  return sql.replace(/'[^']*'/g, '').split('?').length - 1;
}

async function main() {
  const dir = tempDir('filtered');
  heading(`Target 3: deleteMessages on a flow of ${MESSAGES.toLocaleString('en-US')} messages`);
  if (SIZES.length < 3) console.log(`(--messages ${MESSAGES} is too small for every size: measuring ${SIZES.join(', ')})`);
  let t = performance.now();
  const pristine = join(dir, 'pristine.db');
  const b = await createBenchDatabase(pristine);
  const smallFlowId = benchId(KIND.flow, 2);
  const bigBlocks = layout('big', b.flowId, 1, CHATS, SIZES);
  const smallBlocks = layout('small', smallFlowId, CHATS + 1, SMALL_CHATS, [SIZES[0]!]);
  const load = openForLoad(pristine);
  load
    .prepare(`insert into flows (id, tenant_id, name, type, created_at) values (?, ?, 'Small bench flow', 'CHATFLOW', ?)`)
    .run(smallFlowId, b.tenantId, '2025-01-01T00:00:00.000Z');
  insertChats(load, b, { first: 1, count: CHATS, perChat: PER_CHAT, firstMessage: 1, thumbsUpEvery: 40 });
  insertChats(load, { ...b, flowId: smallFlowId }, { first: CHATS + 1, count: SMALL_CHATS, perChat: PER_CHAT, firstMessage: CHATS * PER_CHAT + 1, thumbsUpEvery: 40 });
  for (const block of [...bigBlocks, ...smallBlocks].filter((x) => x.path === 'session')) {
    load.prepare(`update messages set session_id = ? where chat_id >= ? and chat_id <= ?`).run(
      sessionOf(block),
      benchId(KIND.chat, block.first),
      benchId(KIND.chat, block.last),
    );
  }
  finishLoad(load);
  const rawDb = join(dir, 'raw.db');
  const oursDb = join(dir, 'ours.db');
  copyDatabase(pristine, rawDb);
  copyDatabase(pristine, oursDb);
  console.log(
    `data: a flow of ${CHATS.toLocaleString('en-US')} chats x ${PER_CHAT} messages and a small flow of ${SMALL_CHATS.toLocaleString('en-US')} x ${PER_CHAT}, ` +
      `ready in ${fmt((performance.now() - t) / 1000)} s`,
  );

  const raw = openLikeProduct(rawDb);
  const server: ServerChild = await startServer('ours', { db: oursDb, recordQueries: true });
  const writer = openLikeProduct(oursDb); // only to rate a block before its feedback delete
  const client = new HttpClient(server.url);
  await client.gql('{ __typename }');

  const results: Measured[] = [];
  const measure = async (block: Block): Promise<Measured> => {
    if (block.path === 'feedback') {
      rateBlock(raw, block);
      rateBlock(writer, block);
      writer.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get();
    }
    let started = performance.now();
    const rawAffected = rawDelete(raw, block);
    const rawMs = performance.now() - started;

    await server.queriesReset();
    await server.loopReset();
    started = performance.now();
    const data = await client.gql(DELETE, { flowId: block.flowId, filter: filterOf(block) });
    const oursMs = performance.now() - started;
    const loop = await server.loopStats();
    const r = data.deleteMessages;
    if (r.__typename !== 'DeleteMessagesSuccess') throw new Error(`deleteMessages answered ${JSON.stringify(r)}`);
    const statements = [...new Set((await server.queries()).statements)];
    const m = { block, oursMs, oursAffected: r.affected, loop, rawMs, rawAffected, statements };
    console.log(`  ${block.flow} flow, ${block.path}, ${block.size} matched: ours ${fmt(oursMs, 0)} ms, baseline ${fmt(rawMs, 0)} ms`);
    return m;
  };
  for (const block of smallBlocks) results.push(await measure(block));
  for (const path of PATHS) {
    let previous: Measured | undefined;
    for (const block of bigBlocks.filter((x) => x.path === path)) {
      const projected = previous ? (previous.oursMs * block.size) / previous.block.size : 0;
      if (projected > BUDGET_MS) {
        const skipped = `skipped: projected ${fmt(projected / 1000, 0)} s from the ${previous!.block.size} run (over --budget ${BUDGET_MS / 1000})`;
        console.log(`  ${block.flow} flow, ${block.path}, ${block.size} matched: ${skipped}`);
        results.push({ block, skipped, oursMs: Number.NaN, oursAffected: 0, loop: { maxMs: Number.NaN, p99Ms: Number.NaN, meanMs: Number.NaN }, rawMs: Number.NaN, rawAffected: 0, statements: [] });
        continue;
      }
      previous = await measure(block);
      results.push(previous);
    }
  }
  writer.close();
  raw.close();
  client.close();
  await server.stop();

  const flowMessages = (m: Measured) => (m.block.flow === 'big' ? CHATS : SMALL_CHATS) * PER_CHAT;
  console.log('');
  table([
    ['flow (messages)', 'filter', 'matched', 'ours ms', 'ours µs/row', 'longest stall ms', 'baseline ms', 'ratio', 'affected ours / baseline'],
    ...results.map((m) =>
      m.skipped
        ? [flowMessages(m).toLocaleString('en-US'), m.block.path, m.block.size, '-', '-', '-', '-', '-', m.skipped]
        : [
            flowMessages(m).toLocaleString('en-US'),
            m.block.path,
            m.block.size,
            fmt(m.oursMs, 0),
            fmt((1000 * m.oursMs) / m.block.size, 1),
            fmt(m.loop.maxMs, 1),
            fmt(m.rawMs, 0),
            fmt(m.oursMs / m.rawMs, 2),
            `${m.oursAffected} / ${m.rawAffected}${m.oursAffected === m.block.size && m.rawAffected === m.block.size ? '' : ' (MISMATCH)'}`,
          ],
    ),
  ]);
  const measured = results.filter((m) => !m.skipped);

  // EXPLAIN QUERY PLAN of what our server ran.
  heading('EXPLAIN QUERY PLAN of our statements that touch messages');
  const reader = new SQLite(oursDb, { readonly: true });
  const seen = new Set<string>();
  let scans = 0;
  const otherScans = new Set<string>();
  const perRowProbes: string[] = [];
  for (const m of measured) {
    for (const sql of m.statements) {
      if (!/messages/i.test(sql) || seen.has(sql) || /^(begin|commit|pragma)/i.test(sql)) continue;
      seen.add(sql);
      const names = messageNames(sql);
      let plan: { detail: string }[];
      try {
        plan = reader.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array(placeholders(sql)).fill(null)) as { detail: string }[];
      } catch (error) {
        console.log(`\n(${m.block.path}) ${sql}\n  could not explain: ${String(error)}`);
        continue;
      }
      const bad = plan.filter((p) => {
        const scan = /^SCAN (\w+)/.exec(p.detail);
        if (scan && !names.has(scan[1]!.toLowerCase())) otherScans.add(scan[1]!);
        return scan !== null && names.has(scan[1]!.toLowerCase());
      });
      scans += bad.length;
      // A correlated probe into messages for every row of a scanned table (every thread)
      // uses an index, yet its cost grows with that table: worth naming.
      // (the outer loop: the plan's first line is a scan of another table)
      const outer = plan[0] && /^SCAN (\w+)/.exec(plan[0].detail);
      const scanned = outer && !names.has(outer[1]!.toLowerCase()) ? plan[0] : undefined;
      const correlated = plan.findIndex((p) => p.detail.startsWith('CORRELATED'));
      const probe =
        scanned && correlated >= 0
          ? plan.slice(correlated + 1).find((p) => {
              const search = /^SEARCH (\w+)/.exec(p.detail);
              return search !== null && names.has(search[1]!.toLowerCase());
            })
          : undefined;
      if (probe) perRowProbes.push(`${m.block.path}: ${/^SCAN (\w+)/.exec(scanned!.detail)![1]} x (${probe.detail})`);
      console.log(`\n[${m.block.path}] ${sql.replace(/\s+/g, ' ')}`);
      for (const p of plan)
        console.log(`  ${bad.includes(p) ? '!! FULL SCAN OF messages:' : p === probe ? '!! once per scanned row:' : '  '} ${p.detail}`);
    }
  }
  reader.close();
  console.log('');
  const verdicts: string[][] = [
    ['target', 'finding', 'verdict'],
    ['every filter path uses an index (no full scan of messages)', `${scans} full scan(s) of messages in ${seen.size} statements`, verdict(scans === 0)],
  ];
  if (otherScans.size > 0) verdicts.push(['  full scans of other tables (they grow with the data too)', [...otherScans].join(', '), '(info)']);
  for (const probe of perRowProbes) verdicts.push(['  a messages probe repeated for every scanned row', probe.length > 110 ? `${probe.slice(0, 110)}…` : probe, '(info)']);
  for (const path of PATHS) {
    const small = measured.find((m) => m.block.flow === 'small' && m.block.path === path)!;
    const big = measured.find((m) => m.block.flow === 'big' && m.block.path === path && m.block.size === small.block.size)!;
    const tableGrowth = big.oursMs / small.oursMs;
    verdicts.push([
      `${path}: 1 k matched costs the same on a flow 10 x larger`,
      `${fmt(big.oursMs, 0)} ms vs ${fmt(small.oursMs, 0)} ms (x${fmt(tableGrowth, 1)}; baseline x${fmt(big.rawMs / small.rawMs, 1)})`,
      verdict(tableGrowth <= 2),
    ]);
  }
  for (const path of PATHS) {
    const rows = measured.filter((m) => m.block.flow === 'big' && m.block.path === path);
    const skipped = results.filter((m) => m.block.flow === 'big' && m.block.path === path && m.skipped);
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    verdicts.push([
      `${path}: time per matched row (big flow)`,
      rows.map((m) => `${m.block.size}: ${fmt((1000 * m.oursMs) / m.block.size, 0)} µs`).join(', ') +
        ` (baseline ${rows.map((m) => fmt((1000 * m.rawMs) / m.block.size, 0)).join(', ')} µs)` +
        (skipped.length ? `; ${skipped.map((m) => m.block.size).join(', ')} skipped` : ''),
      last === first ? '(info)' : '(info)',
    ]);
  }
  table(verdicts);
}

reportLoad('start');
await main();
reportLoad('end');
