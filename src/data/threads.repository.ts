import { sql } from 'kysely';
import type { ThreadRow } from './tables.ts';
import { type PageRequest, keysetPage } from './keyset.ts';
import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';

export async function insertThread(db: Db, row: ThreadRow) {
  await db.insertInto('threads').values(row).execute();
}

/** Threads in any state (live or soft-deleted); callers decide what is visible. */
export async function findThreads(db: Db, tenantId: string, ids: readonly string[], lock = false): Promise<ThreadRow[]> {
  if (ids.length === 0) return [];
  const q = db.selectFrom('threads').selectAll().where('tenant_id', '=', tenantId).where('id', 'in', ids);
  return (lock ? q.forUpdate() : q).execute();
}

/** Hides every thread of a chat for good (not restorable) while its rows are erased. */
export async function markThreadsOfChatErasing(db: Db, chatId: string, now: string, by: string) {
  await db
    .updateTable('threads')
    .set({ deleted_at: now, restore_until: null, deleted_by: by, updated_at: now })
    .where('chat_id', '=', chatId)
    .execute();
}

/**
 * Locks a chat's threads (soft-deleted ones too) so no message can be added to them until
 * the transaction ends; answers their ids.
 */
export async function lockThreadsOfChat(db: Db, chatId: string): Promise<string[]> {
  return (await lockThreadsStatement(db, { chatId })).map((t) => t.id);
}

/** Compiled once, as every statement of deleteChat's common path (bench/RESULTS.md, issue 19). */
const lockThreadsStatement = compiledOnce((db, { chatId }: { chatId: string }) =>
  db.selectFrom('threads').select('id').where('chat_id', '=', chatId).forUpdate(),
);

/** Every thread of the chat, soft-deleted ones too (an export shows them, marked). */
export async function listThreadsOfChat(db: Db, chatId: string, page: PageRequest): Promise<ThreadRow[]> {
  const q = db.selectFrom('threads').selectAll().where('chat_id', '=', chatId);
  return keysetPage(q, 'created_at', 'id', page).execute();
}

export async function listLiveThreadsOfChat(db: Db, chatId: string, page: PageRequest): Promise<ThreadRow[]> {
  const q = db.selectFrom('threads').selectAll().where('chat_id', '=', chatId).where('deleted_at', 'is', null);
  return keysetPage(q, 'created_at', 'id', page).execute();
}

export async function listSoftDeletedThreads(
  db: Db,
  tenantId: string,
  now: string,
  page: PageRequest,
): Promise<ThreadRow[]> {
  const q = db
    .selectFrom('threads')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is not', null)
    .where('restore_until', '>', now);
  return keysetPage(q, 'deleted_at', 'id', page).execute();
}

export async function bumpThreadVersions(db: Db, ids: readonly string[], now: string) {
  if (ids.length === 0) return;
  await db
    .updateTable('threads')
    .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
    .where('id', 'in', ids)
    .execute();
}

export async function markThreadDeleted(
  db: Db,
  id: string,
  mark: { deletedAt: string; restoreUntil: string; deletedBy: string },
) {
  await db
    .updateTable('threads')
    .set((eb) => ({
      deleted_at: mark.deletedAt,
      restore_until: mark.restoreUntil,
      deleted_by: mark.deletedBy,
      updated_at: mark.deletedAt,
      version: eb('version', '+', 1),
    }))
    .where('id', '=', id)
    .execute();
}

export async function unmarkThreadDeleted(db: Db, id: string, now: string) {
  await db
    .updateTable('threads')
    .set((eb) => ({
      deleted_at: null,
      restore_until: null,
      deleted_by: null,
      updated_at: now,
      version: eb('version', '+', 1),
    }))
    .where('id', '=', id)
    .execute();
}

/** Every thread of the chat, soft-deleted ones too, as one row `n` (also a part of larger statements). */
export function countThreadsOfChatQuery(db: Db, chatId: string) {
  return db
    .selectFrom('threads')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('chat_id', '=', chatId);
}

/** Oldest window first; `after` continues past threads a caller left in place (held ones). */
export async function findExpiredThreads(db: Db, now: string, limit: number, after?: { restoreUntil: string; id: string }): Promise<ThreadRow[]> {
  let q = db.selectFrom('threads').selectAll().where('restore_until', '<=', now);
  if (after) q = q.where(sql<boolean>`(restore_until, id) > (${after.restoreUntil}, ${after.id})`);
  return q.orderBy('restore_until').orderBy('id').limit(limit).execute();
}

export async function countExpiredThreads(db: Db, now: string): Promise<number> {
  const row = await db
    .selectFrom('threads')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('restore_until', '<=', now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteThreadRow(db: Db, id: string) {
  await db.deleteFrom('threads').where('id', '=', id).execute();
}
