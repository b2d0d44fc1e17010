import { bumpChatVersions } from '../data/chats.repository.ts';
import type { PageRequest } from '../data/keyset.ts';
import { countMessagesByThread } from '../data/messages.repository.ts';
import type { ThreadRow } from '../data/tables.ts';
import {
  findThreads,
  insertThread,
  listLiveThreadsOfChat,
  listSoftDeletedThreads,
  unmarkThreadDeleted,
} from '../data/threads.repository.ts';
import { type AuditEntry, recordAudit } from './audit.ts';
import { type Chat, requireChat } from './chats.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import { Checker, LIMITS, isId } from './validation.ts';

export interface Thread {
  id: string;
  chatId: string;
  flowId: string;
  title: string | null;
  metadata: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  restoreUntil: string | null;
  deletedBy: string | null;
}

export function threadOf(row: ThreadRow): Thread {
  return {
    id: row.id,
    chatId: row.chat_id,
    flowId: row.flow_id,
    title: row.title,
    metadata: row.metadata,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
    restoreUntil: row.restore_until,
    deletedBy: row.deleted_by,
  };
}

export function isRestorable(thread: ThreadRow, now: string): boolean {
  return thread.deleted_at !== null && thread.restore_until !== null && thread.restore_until > now;
}

/** A thread's metadata as stored (JSON), or null; problems go to `check` under `path`. */
export function checkedMetadata(check: Checker, path: string[], value: unknown): string | null {
  const metadata = value === undefined || value === null ? null : JSON.stringify(value);
  if (metadata !== null && Buffer.byteLength(metadata) > LIMITS.metadataBytes) check.fail(path, `must be at most ${LIMITS.metadataBytes} bytes as JSON`);
  return metadata;
}

/** A new, live thread of the chat; the caller inserts it. */
export function newThreadRow(
  scope: Scope,
  chat: Pick<Chat, 'id' | 'flowId'>,
  fields: { title: string | null; metadata: string | null },
  now: string,
): ThreadRow {
  return {
    id: newId(),
    tenant_id: scope.tenantId,
    chat_id: chat.id,
    flow_id: chat.flowId,
    ...fields,
    version: 1,
    created_at: now,
    updated_at: now,
    deleted_at: null,
    restore_until: null,
    deleted_by: null,
  };
}

export async function createThread(
  deps: Deps,
  scope: Scope,
  input: { chatId: string; title?: string | null; metadata?: unknown },
): Promise<Thread> {
  const check = new Checker();
  const chatId = check.id(['input', 'chatId'], input.chatId);
  const title = check.optionalText(['input', 'title'], input.title);
  const metadata = checkedMetadata(check, ['input', 'metadata'], input.metadata);
  check.done();
  const chat = await requireChat(deps, scope, chatId);
  const now = isoNow(deps.clock);
  const thread = newThreadRow(scope, chat, { title: title ?? null, metadata }, now);
  await deps.store.db.transaction().execute(async (trx) => {
    await insertThread(trx, thread);
    await bumpChatVersions(trx, [chat.id], now);
  });
  deps.live.publishChatEvent({
    type: 'THREAD_CREATED',
    chatId: chat.id,
    threadId: thread.id,
    messageId: null,
    streamId: null,
    at: now,
  });
  return threadOf(thread);
}

/** Live threads only: a soft-deleted thread is gone from every read. */
async function liveThreadRows(deps: Deps, scope: Scope, ids: readonly string[]): Promise<ThreadRow[]> {
  const rows = await findThreads(deps.store.db, scope.tenantId, ids.filter(isId));
  return rows.filter((t) => t.deleted_at === null);
}

export async function getThreads(deps: Deps, scope: Scope, ids: readonly string[]): Promise<Thread[]> {
  return (await liveThreadRows(deps, scope, ids)).map(threadOf);
}

/** The row, for the domain's writes that copy its tenant, flow and chat into new rows. */
export async function requireThreadRow(deps: Deps, scope: Scope, id: string): Promise<ThreadRow> {
  const [thread] = await liveThreadRows(deps, scope, [id]);
  if (!thread) throw new NotFoundError('THREAD', id);
  return thread;
}

export async function requireThread(deps: Deps, scope: Scope, id: string): Promise<Thread> {
  return threadOf(await requireThreadRow(deps, scope, id));
}

export async function pageThreadsOfChat(deps: Deps, chat: Chat, page: PageRequest): Promise<Thread[]> {
  return (await listLiveThreadsOfChat(deps.store.db, chat.id, page)).map(threadOf);
}

export async function pageDeletedThreads(deps: Deps, scope: Scope, page: PageRequest): Promise<Thread[]> {
  return (await listSoftDeletedThreads(deps.store.db, scope.tenantId, isoNow(deps.clock), page)).map(threadOf);
}

export async function messageCountsOfThreads(deps: Deps, threadIds: readonly string[]) {
  return countMessagesByThread(deps.store.db, threadIds);
}

export async function restoreThread(
  deps: Deps,
  scope: Scope,
  input: { id: string },
): Promise<{ thread: Thread; auditEntry: AuditEntry }> {
  const check = new Checker();
  const id = check.id(['id'], input.id);
  check.done();
  const now = isoNow(deps.clock);
  const result = await deps.store.db.transaction().execute(async (trx) => {
    const [thread] = await findThreads(trx, scope.tenantId, [id], true);
    if (!thread || !isRestorable(thread, now)) throw new NotFoundError('THREAD', id);
    await unmarkThreadDeleted(trx, id, now);
    await bumpChatVersions(trx, [thread.chat_id], now);
    const auditEntry = await recordAudit(
      trx,
      scope,
      { action: 'thread.restore', targetType: 'THREAD', targetId: id, details: { deletedAt: thread.deleted_at } },
      now,
    );
    const [restored] = await findThreads(trx, scope.tenantId, [id]);
    return { thread: threadOf(restored!), auditEntry };
  });
  deps.live.publishChatEvent({
    type: 'THREAD_RESTORED',
    chatId: result.thread.chatId,
    threadId: id,
    messageId: null,
    streamId: null,
    at: now,
  });
  return result;
}
