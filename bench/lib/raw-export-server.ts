// The baseline of bench/export.ts: a minimal node:http handler streaming a chat's export as
// NDJSON with better-sqlite3 directly: the same records, fields and order as
// GET /api/v1/chats/{chat_id}/export (header, chat, each thread then its messages, end),
// read in keyset pages of 1,000 by prepared statements, written in 64 K-character chunks
// that wait for 'drain', and stopped when the client goes away. It checks the key and the
// tenant as the product does and nothing else.
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { serveBaseline } from './child-runtime.ts';
import { openLikeProduct } from './sqlite.ts';

const path = process.env.BENCH_DB;
if (!path) throw new Error('BENCH_DB is required');
const db = openLikeProduct(path);

const PAGE = 1000;
const CHUNK = 64 * 1024;

const s = {
  key: db.prepare(`select tenant_id from api_keys where key_hash = ? and revoked_at is null`),
  chat: db.prepare(`select * from chats where tenant_id = ? and id = ? and deleted_at is null`),
  threads: db.prepare(`select * from threads where chat_id = ? order by created_at, id`),
  firstMessages: db.prepare(`select * from messages where thread_id = ? order by created_at, id limit ?`),
  nextMessages: db.prepare(`select * from messages where thread_id = ? and (created_at, id) > (?, ?) order by created_at, id limit ?`),
};

interface Row {
  [column: string]: any;
}

const chatRecord = (c: Row) => ({ type: 'chat', id: c.id, flowId: c.flow_id, title: c.title, version: c.version, createdAt: c.created_at, updatedAt: c.updated_at });
const threadRecord = (t: Row) => ({
  type: 'thread',
  id: t.id,
  chatId: t.chat_id,
  flowId: t.flow_id,
  title: t.title,
  metadata: t.metadata === null ? null : JSON.parse(t.metadata),
  version: t.version,
  createdAt: t.created_at,
  updatedAt: t.updated_at,
  deletedAt: t.deleted_at,
  restoreUntil: t.restore_until,
  deletedBy: t.deleted_by,
});
const messageRecord = (m: Row) => ({
  type: 'message',
  id: m.id,
  flowId: m.flow_id,
  chatId: m.chat_id,
  threadId: m.thread_id,
  role: m.role,
  content: m.content,
  sessionId: m.session_id,
  memoryType: m.memory_type,
  chatType: m.chat_type,
  feedback: m.feedback,
  createdAt: m.created_at,
});

/** Writes `text`; resolves at once, or after 'drain' when the socket's buffer is full. */
function write(res: ServerResponse, text: string): Promise<void> | undefined {
  if (res.write(text)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function stream(res: ServerResponse, tenantId: string, chat: Row) {
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  let text = `${JSON.stringify({ type: 'export', format: 'chat-gateway.chat-export.v1', chatId: chat.id, exportedAt: new Date().toISOString() })}\n`;
  text += `${JSON.stringify(chatRecord(chat))}\n`;
  let threadCount = 0;
  let messageCount = 0;
  for (const thread of s.threads.all(chat.id) as Row[]) {
    threadCount++;
    text += `${JSON.stringify(threadRecord(thread))}\n`;
    let page = s.firstMessages.all(thread.id, PAGE) as Row[];
    for (;;) {
      for (const m of page) {
        messageCount++;
        text += `${JSON.stringify(messageRecord(m))}\n`;
        if (text.length >= CHUNK) {
          await write(res, text);
          text = '';
          if (closed) return;
        }
      }
      if (page.length < PAGE) break;
      const last = page[page.length - 1]!;
      page = s.nextMessages.all(thread.id, last.created_at, last.id, PAGE) as Row[];
    }
  }
  const now = s.chat.get(tenantId, chat.id) as Row | undefined;
  text += `${JSON.stringify(now ? { type: 'end', threadCount, messageCount, chatVersion: now.version } : { type: 'error', message: `Chat ${chat.id} not found` })}\n`;
  await write(res, text);
  res.end();
}

const EXPORT = /^\/api\/v1\/chats\/([^/]+)\/export\/?$/;

const server = createServer((req, res) => {
  const match = EXPORT.exec(new URL(req.url ?? '/', 'http://raw').pathname);
  const key = req.headers['x-api-key'];
  const who = typeof key === 'string' ? (s.key.get(createHash('sha256').update(key).digest('hex')) as { tenant_id: string } | undefined) : undefined;
  if (!who) return res.writeHead(401).end();
  if (req.method !== 'GET' || !match) return res.writeHead(404).end();
  const chat = s.chat.get(who.tenant_id, decodeURIComponent(match[1]!)) as Row | undefined;
  if (!chat) return res.writeHead(404).end();
  stream(res, who.tenant_id, chat).catch((error: unknown) => res.destroy(error as Error));
});
await serveBaseline(server, () => db.close());
