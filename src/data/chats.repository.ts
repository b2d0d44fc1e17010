import type { ChatRow } from './tables.ts';
import { type PageRequest, keysetPage } from './keyset.ts';
import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';

export async function insertChat(db: Db, row: ChatRow) {
  await db.insertInto('chats').values(row).execute();
}

/** `lock` holds the rows until the transaction ends (PostgreSQL), for a change that reads first. */
export async function findChats(db: Db, tenantId: string, ids: readonly string[], lock = false): Promise<ChatRow[]> {
  if (ids.length === 0) return [];
  const q = db
    .selectFrom('chats')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .where('deleted_at', 'is', null);
  return (lock ? q.forUpdate() : q).execute();
}

export async function listChats(
  db: Db,
  tenantId: string,
  flowId: string | undefined,
  page: PageRequest,
): Promise<ChatRow[]> {
  let q = db.selectFrom('chats').selectAll().where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
  if (flowId !== undefined) q = q.where('flow_id', '=', flowId);
  return keysetPage(q, 'created_at', 'id', page).execute();
}

export async function bumpChatVersions(db: Db, ids: readonly string[], now: string) {
  if (ids.length === 0) return;
  await db
    .updateTable('chats')
    .set((eb) => ({ version: eb('version', '+', 1), updated_at: now }))
    .where('id', 'in', ids)
    .execute();
}

export async function markChatDeleted(db: Db, id: string, now: string) {
  await db.updateTable('chats').set({ deleted_at: now, updated_at: now }).where('id', '=', id).execute();
}

export async function deleteChatRow(db: Db, id: string) {
  await deleteChatStatement(db, { id });
}

const deleteChatStatement = compiledOnce((db, { id }: { id: string }) => db.deleteFrom('chats').where('id', '=', id));
