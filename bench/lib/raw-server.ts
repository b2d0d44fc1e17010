// The baseline: a minimal node:http handler doing the same SQL as our deleteChat with
// better-sqlite3 directly (prepared statements, one transaction, the same pragmas),
// answering JSON. It reads the very same request bodies as the GraphQL server, so both see
// identical traffic.
//
// It keeps the product's guarantees with the product's tricks (bench/RESULTS.md, "a fair
// baseline"): the legal-hold check, the erasure-target lookup, the audit entry, the
// redaction of stored Idempotency-Key answers and the receipt in the delete's
// transaction; and the erasure of the WAL's old frames by one TRUNCATE checkpoint on the
// next turn of the event loop, answering every delete committed before it (as the
// product's shared flushErasure does). BENCH_RAW_ERASURE=none drops the erasure itself
// (secure_delete off, no checkpoint): what the guarantee costs.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type SQLite from 'better-sqlite3';
import { v7 as newId } from 'uuid';
import { serveBaseline } from './child-runtime.ts';
import { openLikeProduct } from './sqlite.ts';

const path = process.env.BENCH_DB;
if (!path) throw new Error('BENCH_DB is required');
const db = openLikeProduct(path);
const ERASE = process.env.BENCH_RAW_ERASURE !== 'none';
if (!ERASE) db.pragma('secure_delete = OFF');

const s = {
  key: db.prepare(`select tenant_id, name from api_keys where key_hash = ? and revoked_at is null`),
  chat: db.prepare(`select * from chats where tenant_id = ? and id in (?) and deleted_at is null`),
  lockThreads: db.prepare(`select id from threads where chat_id = ?`),
  countThreads: db.prepare(`select count(*) as n from threads where chat_id = ?`),
  countMessages: db.prepare(`select count(*) as n from messages where chat_id = ?`),
  activeStreams: db.prepare(`select * from streams where chat_id = ? and status in (?, ?)`),
  holds: db.prepare(
    `select id, created_at from legal_holds where tenant_id = ? and released_at is null and scope = 'FLOW' and target_id = ?
     union all select id, created_at from legal_holds where tenant_id = ? and released_at is null and scope = 'CHAT' and target_id = ?
     union all select id, created_at from legal_holds where tenant_id = ? and released_at is null and scope = 'SESSION'
       and target_id in (select session_id from messages where session_id is not null and chat_id = ?)`,
  ),
  targets: db.prepare(`select * from erasure_targets where flow_id = ? and tenant_id = ? and removed_at is null order by created_at, id`),
  deleteChat: db.prepare(`delete from chats where id = ?`),
  audit: db.prepare(
    `insert into audit_log (id, tenant_id, action, target_type, target_id, actor, request_id, details, at) values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning *`,
  ),
  redactAnswers: db.prepare(
    `update idempotency_keys set body = null, content_type = null, erased_at = ? where tenant_id = ? and erased_at is null
     and (body <> '' or (status is null and (request_id is null or request_id <> ?)))`,
  ),
  receipt: db.prepare(
    `insert into erasure_receipts (id, tenant_id, action, target_type, target_id, audit_entry_id, counts, requested_at, rows_erased_at, erasure_job_id)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, null)`,
  ),
};
const checkpoint = db.prepare('PRAGMA wal_checkpoint(TRUNCATE)');

// Reads (bench/reads.ts): a page of chats with their message counts, and chats by id.
const read = {
  firstPage: db.prepare(`select * from chats where tenant_id = ? and deleted_at is null order by created_at, id limit ?`),
  nextPage: db.prepare(
    `select * from chats where tenant_id = ? and deleted_at is null and (created_at, id) > (?, ?) order by created_at, id limit ?`,
  ),
};
const byIds = new Map<number, SQLite.Statement>();
const countsByIds = new Map<number, SQLite.Statement>();
/** One statement per list length, prepared once (as a hand-written server would cache them). */
function cached(cache: Map<number, SQLite.Statement>, n: number, sql: (marks: string) => string): SQLite.Statement {
  let statement = cache.get(n);
  if (!statement) {
    statement = db.prepare(sql(Array(n).fill('?').join(', ')));
    cache.set(n, statement);
  }
  return statement;
}
interface ChatRow {
  id: string;
  title: string | null;
  created_at: string;
}
function messageCounts(ids: string[]): Map<string, number> {
  if (ids.length === 0) return new Map();
  const rows = cached(
    countsByIds,
    ids.length,
    (marks) =>
      `select m.chat_id as key, count(*) as n from messages m join threads t on t.id = m.thread_id
       where m.chat_id in (${marks}) and t.deleted_at is null group by m.chat_id`,
  ).all(...ids) as { key: string; n: number }[];
  return new Map(rows.map((r) => [r.key, r.n]));
}
const cursorOf = (c: ChatRow) => Buffer.from(JSON.stringify([c.created_at, c.id])).toString('base64url');

function chatsPage(tenantId: string, first: number, after: string | undefined) {
  let rows: ChatRow[];
  if (after) {
    const [at, id] = JSON.parse(Buffer.from(after, 'base64url').toString('utf8')) as [string, string];
    rows = read.nextPage.all(tenantId, at, id, first + 1) as ChatRow[];
  } else rows = read.firstPage.all(tenantId, first + 1) as ChatRow[];
  const hasNextPage = rows.length > first;
  const page = rows.slice(0, first);
  const counts = messageCounts(page.map((c) => c.id));
  return {
    chats: {
      edges: page.map((c) => ({ node: { id: c.id, title: c.title, messageCount: counts.get(c.id) ?? 0 } })),
      pageInfo: { hasNextPage, endCursor: page.length ? cursorOf(page[page.length - 1]!) : null },
    },
  };
}

function entities(tenantId: string, representations: { __typename: string; id: string }[]) {
  const ids = representations.map((r) => r.id);
  const rows = cached(byIds, ids.length, (marks) => `select * from chats where tenant_id = ? and id in (${marks}) and deleted_at is null`).all(
    tenantId,
    ...ids,
  ) as ChatRow[];
  const found = new Map(rows.map((c) => [c.id, c]));
  const counts = messageCounts(rows.map((c) => c.id));
  return {
    _entities: ids.map((id) => {
      const c = found.get(id);
      return c ? { id: c.id, title: c.title, messageCount: counts.get(c.id) ?? 0 } : null;
    }),
  };
}

const deleteChat = db.transaction((tenantId: string, actor: string, id: string) => {
  const chat = s.chat.get(tenantId, id) as { flow_id: string } | undefined;
  if (!chat) return { __typename: 'NotFoundError', message: `Chat ${id} not found` };
  if (s.holds.all(tenantId, chat.flow_id, tenantId, id, tenantId, id).length > 0) return { __typename: 'ConflictError', message: 'held' };
  s.targets.all(chat.flow_id, tenantId);
  s.lockThreads.all(id);
  const threads = (s.countThreads.get(id) as { n: number }).n;
  const messages = (s.countMessages.get(id) as { n: number }).n;
  s.activeStreams.all(id, 'QUEUED', 'RUNNING');
  s.deleteChat.run(id);
  const now = new Date().toISOString();
  const details = { force: false, deletedThreadCount: threads, deletedMessageCount: messages, cancelledStreamCount: 0, closedConnections: 0, erasure: 'done' };
  const requestId = newId();
  const audit = s.audit.get(newId(), tenantId, 'chat.delete', 'CHAT', id, actor, requestId, JSON.stringify(details), now) as { id: string };
  s.redactAnswers.run(now, tenantId, requestId);
  const counts = { chats: 1, threads, messages, streams: 0, streamEvents: 0 };
  s.receipt.run(newId(), tenantId, 'chat.delete', 'CHAT', id, audit.id, JSON.stringify(counts), now, now);
  return { __typename: 'DeleteChatSuccess', deletedMessageCount: messages, deletedThreadCount: threads };
});

let erased: Array<() => void> = [];
/** One TRUNCATE on the next turn of the event loop answers every delete committed before it. */
function afterErasure(reply: () => void) {
  erased.push(reply);
  if (erased.length > 1) return;
  setImmediate(() => {
    const batch = erased;
    erased = [];
    checkpoint.get();
    for (const r of batch) r();
  });
}

function answer(res: import('node:http').ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        query: string;
        operationName?: string;
        variables?: { id?: string; first?: number; after?: string; representations?: { __typename: string; id: string }[] };
      };
      const key = req.headers['x-api-key'];
      const who = typeof key === 'string' ? (s.key.get(createHash('sha256').update(key).digest('hex')) as { tenant_id: string; name: string } | undefined) : undefined;
      if (!who) return answer(res, 401, { errors: [{ message: 'The API key is not valid', extensions: { code: 'UNAUTHENTICATED' } }] });
      if (body.operationName === 'ChatsPage') return answer(res, 200, { data: chatsPage(who.tenant_id, body.variables?.first ?? 20, body.variables?.after ?? undefined) });
      if (body.operationName === 'Entities') return answer(res, 200, { data: entities(who.tenant_id, body.variables?.representations ?? []) });
      const id = body.variables?.id;
      if (id === undefined) return answer(res, 200, { data: { __typename: 'Query' } });
      const result = deleteChat(who.tenant_id, who.name, id);
      if (result.__typename === 'DeleteChatSuccess' && ERASE) afterErasure(() => answer(res, 200, { data: { deleteChat: result } }));
      else answer(res, 200, { data: { deleteChat: result } });
    } catch (error) {
      answer(res, 500, { errors: [{ message: String(error) }] });
    }
  });
});
await serveBaseline(server, () => db.close());
