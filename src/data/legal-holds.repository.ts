import { type Expression, type SqlBool, sql } from 'kysely';
import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';
import { type PageRequest, keysetPage } from './keyset.ts';
import { type MessageSelection, selectionPredicate } from './messages.repository.ts';
import type { LegalHoldRow, LegalHoldScope } from './tables.ts';

/**
 * What an erasure would take, as holds see it: a chat (its flow, the chat, its messages'
 * sessions), a thread (likewise), a message selection (its flow, the chats and sessions of
 * the matched messages), a stream (its chat and flow: a stream has no message of its own),
 * or a data subject (its session, and the flows and chats holding its messages).
 */
export type HoldReach =
  | { kind: 'chat'; chatId: string }
  | { kind: 'thread'; threadId: string; chatId: string }
  | { kind: 'selection'; selection: MessageSelection }
  | { kind: 'stream'; chatId: string }
  | { kind: 'subject'; sessionId: string };

export async function insertLegalHold(db: Db, row: LegalHoldRow): Promise<void> {
  await db.insertInto('legal_holds').values(row).execute();
}

/** Locks the hold it finds, so two releases of one hold see one state. */
export async function findLegalHold(db: Db, tenantId: string, id: string): Promise<LegalHoldRow | undefined> {
  return db.selectFrom('legal_holds').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function markHoldReleased(db: Db, id: string, at: string, by: string): Promise<void> {
  await db.updateTable('legal_holds').set({ released_at: at, released_by: by }).where('id', '=', id).execute();
}

/** Oldest first; `active` true: active holds only, false: released ones only, undefined: all. */
export async function listLegalHolds(db: Db, tenantId: string, active: boolean | undefined, page: PageRequest): Promise<LegalHoldRow[]> {
  let q = db.selectFrom('legal_holds').selectAll().where('tenant_id', '=', tenantId);
  if (active !== undefined) q = q.where('released_at', active ? 'is' : 'is not', null);
  return keysetPage(q, 'created_at', 'id', page).execute();
}

/**
 * The active holds of the tenant covering what `reach` erases, as one statement of three
 * index seeks (one per scope) that can also stand inside a larger statement (PostgreSQL's
 * one-statement chat delete). Each seek reads the partial index of active holds only, so
 * the cost follows the erased rows, not how many holds the tenant has.
 */
export function heldByQuery(db: Db, tenantId: string, reach: HoldReach) {
  const active = (scope: LegalHoldScope, target: Expression<SqlBool>) =>
    db
      .selectFrom('legal_holds as h')
      .select(['h.id', 'h.created_at'])
      .where('h.tenant_id', '=', tenantId)
      .where('h.released_at', 'is', null)
      .where('h.scope', '=', scope)
      .where(target);
  if (reach.kind === 'subject') {
    // Its messages in any flow: the flows and chats holding one, and the session itself.
    const ofSubject = (column: 'flow_id' | 'chat_id') =>
      sql<SqlBool>`exists ${db
        .selectFrom('messages')
        .select(sql.lit(1).as('one'))
        .where(sql<SqlBool>`${sql.ref(`messages.${column}`)} = h.target_id`)
        .where('messages.tenant_id', '=', tenantId)
        .where('messages.session_id', '=', reach.sessionId)}`;
    return active('FLOW', ofSubject('flow_id'))
      .unionAll(active('CHAT', ofSubject('chat_id')))
      .unionAll(active('SESSION', sql<SqlBool>`h.target_id = ${reach.sessionId}`));
  }
  const flow = active('FLOW', flowOf(reach));
  const chat = active('CHAT', chatsOf(db, reach));
  if (reach.kind === 'stream') return flow.unionAll(chat);
  const session = reach.kind === 'selection' ? selectionHas(db, reach.selection, 'session_id') : sessionIn(db, tenantId, reach);
  return flow.unionAll(chat).unionAll(active('SESSION', session));
}

// Compiled once, one per reach of a fixed shape: every erasure asks one of them (a
// selection's shape varies with its filters, so it is built each time).
const chatHeld = compiledOnce((db, p: { tenantId: string; chatId: string }) => heldByQuery(db, p.tenantId, { kind: 'chat', chatId: p.chatId }));
const threadHeld = compiledOnce((db, p: { tenantId: string; threadId: string; chatId: string }) =>
  heldByQuery(db, p.tenantId, { kind: 'thread', threadId: p.threadId, chatId: p.chatId }),
);
const streamHeld = compiledOnce((db, p: { tenantId: string; chatId: string }) => heldByQuery(db, p.tenantId, { kind: 'stream', chatId: p.chatId }));
const subjectHeld = compiledOnce((db, p: { tenantId: string; sessionId: string }) => heldByQuery(db, p.tenantId, { kind: 'subject', sessionId: p.sessionId }));

function heldRows(db: Db, tenantId: string, reach: HoldReach) {
  switch (reach.kind) {
    case 'chat':
      return chatHeld(db, { tenantId, chatId: reach.chatId });
    case 'thread':
      return threadHeld(db, { tenantId, threadId: reach.threadId, chatId: reach.chatId });
    case 'stream':
      return streamHeld(db, { tenantId, chatId: reach.chatId });
    case 'subject':
      return subjectHeld(db, { tenantId, sessionId: reach.sessionId });
    default:
      return heldByQuery(db, tenantId, reach).execute();
  }
}

/** The active holds covering what `reach` erases, oldest first. */
export async function heldBy(db: Db, tenantId: string, reach: HoldReach): Promise<LegalHoldRow['id'][]> {
  const rows = await heldRows(db, tenantId, reach);
  return rows.sort((x, y) => (x.created_at === y.created_at ? (x.id < y.id ? -1 : 1) : x.created_at < y.created_at ? -1 : 1)).map((r) => r.id);
}

function flowOf(reach: Exclude<HoldReach, { kind: 'subject' }>): Expression<SqlBool> {
  switch (reach.kind) {
    case 'selection':
      return sql<SqlBool>`h.target_id = ${reach.selection.flowId}`;
    case 'thread':
      return sql<SqlBool>`h.target_id = (select t.flow_id from threads t where t.id = ${reach.threadId})`;
    default:
      return sql<SqlBool>`h.target_id = (select c.flow_id from chats c where c.id = ${reach.chatId})`;
  }
}

function chatsOf(db: Db, reach: Exclude<HoldReach, { kind: 'subject' }>): Expression<SqlBool> {
  if (reach.kind !== 'selection') return sql<SqlBool>`h.target_id = ${reach.chatId}`;
  return selectionHas(db, reach.selection, 'chat_id');
}

/**
 * Whether the selection matches a message of the hold's chat or session: asked per active
 * hold (an index seek each), not by listing the chats or sessions of every matched message,
 * which on a flow-wide deleteMessages read every one of its messages inside the delete's
 * transaction (a 149 ms stall in test/graphql/large-deletes.timing.test.ts).
 */
function selectionHas(db: Db, selection: MessageSelection, column: 'chat_id' | 'session_id'): Expression<SqlBool> {
  const match = db
    .selectFrom('messages')
    .select(sql.lit(1).as('one'))
    .where(sql<SqlBool>`${sql.ref(`messages.${column}`)} = h.target_id`)
    .where(selectionPredicate(selection));
  return sql<SqlBool>`exists ${match}`;
}

/**
 * Whether the hold's session has a message in the chat or thread: asked per active hold,
 * like selectionHas. Listing the sessions of the chat's messages instead read all of them
 * inside deleteChat's transaction: 100-150 ms for 50,000 messages on SQLite
 * (test/graphql/large-deletes.timing.test.ts).
 */
function sessionIn(db: Db, tenantId: string, reach: Extract<HoldReach, { kind: 'chat' | 'thread' }>): Expression<SqlBool> {
  const q = db
    .selectFrom('messages')
    .select(sql.lit(1).as('one'))
    .where(sql<SqlBool>`messages.session_id = h.target_id`)
    .where('messages.tenant_id', '=', tenantId);
  const scoped = reach.kind === 'chat' ? q.where('messages.chat_id', '=', reach.chatId) : q.where('messages.thread_id', '=', reach.threadId);
  return sql<SqlBool>`exists ${scoped}`;
}
