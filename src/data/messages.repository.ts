import { type ExpressionBuilder, type Expression, type SqlBool, sql } from 'kysely';
import type { Database, MessageRow, MessageTable } from './tables.ts';
import { type PageRequest, keysetPage } from './keyset.ts';
import { compiledOnce } from './compiled-once.ts';
import type { Db } from './db.ts';

export async function insertMessage(db: Db, row: MessageRow) {
  await db.insertInto('messages').values(row).execute();
}

/** Messages whose thread is live (not soft-deleted). */
export async function findLiveMessages(db: Db, tenantId: string, ids: readonly string[]): Promise<MessageRow[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('messages')
    .selectAll('messages')
    .innerJoin('threads', 'threads.id', 'messages.thread_id')
    .where('messages.tenant_id', '=', tenantId)
    .where('messages.id', 'in', ids)
    .where('threads.deleted_at', 'is', null)
    .execute();
}

export async function listMessagesOfThread(db: Db, threadId: string, page: PageRequest): Promise<MessageRow[]> {
  const q = db.selectFrom('messages').selectAll().where('thread_id', '=', threadId);
  return keysetPage(q, 'created_at', 'id', page).execute();
}

export async function countMessagesByThread(db: Db, threadIds: readonly string[]): Promise<Map<string, number>> {
  if (threadIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('messages')
    .select(['thread_id as key', (eb) => eb.fn.countAll<number>().as('n')])
    .where('thread_id', 'in', threadIds)
    .groupBy('thread_id')
    .execute();
  return new Map(rows.map((r) => [r.key, Number(r.n)]));
}

/** Counts only messages of live threads: a soft-deleted thread's messages are gone from reads. */
export async function countLiveMessagesByChat(db: Db, chatIds: readonly string[]): Promise<Map<string, number>> {
  if (chatIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('messages')
    .innerJoin('threads', 'threads.id', 'messages.thread_id')
    .select(['messages.chat_id as key', (eb) => eb.fn.countAll<number>().as('n')])
    .where('messages.chat_id', 'in', chatIds)
    .where('threads.deleted_at', 'is', null)
    .groupBy('messages.chat_id')
    .execute();
  return new Map(rows.map((r) => [r.key, Number(r.n)]));
}

/**
 * The chat's messages counted up to `limit + 1` (enough to tell "more than limit"), as one
 * row `n`. The + 1 is SQL so `limit` stays a parameter of statements compiled once.
 */
export function countMessagesOfChatUpToQuery(db: Db, chatId: string, limit: number) {
  return db
    .selectFrom((eb) => eb.selectFrom('messages').select('id').where('chat_id', '=', chatId).limit(sql<number>`${limit} + 1`).as('m'))
    .select((eb) => eb.fn.countAll<number>().as('n'));
}

/** The chat's message count, or `limit` + 1 when it holds more (reads at most that many index entries). */
export async function countMessagesOfChatUpTo(db: Db, chatId: string, limit: number): Promise<number> {
  const [row] = await countUpToStatement(db, { chatId, limit });
  return Number(row!.n);
}

const countUpToStatement = compiledOnce((db, { chatId, limit }: { chatId: string; limit: number }) => countMessagesOfChatUpToQuery(db, chatId, limit));

/**
 * Counts about `step` of the chat's messages, those created at `from` or later, and says
 * where the next step starts (null when none is left). Steps end between two timestamps,
 * so rows sharing one are never split, counted twice or missed.
 */
export async function countChatMessagesStep(db: Db, chatId: string, from: string | null, step: number) {
  const ofChat = () => {
    const q = db.selectFrom('messages').where('chat_id', '=', chatId);
    return from === null ? q : q.where('created_at', '>=', from);
  };
  const edge = await ofChat().select('created_at').orderBy('created_at').limit(1).offset(step).executeTakeFirst();
  let next = edge?.created_at ?? null;
  if (next !== null && next === from) {
    // More than `step` messages share the timestamp `from`: this step takes all of them.
    const later = await ofChat()
      .select((eb) => eb.fn.min('created_at').as('at'))
      .where('created_at', '>', from)
      .executeTakeFirst();
    next = later?.at ?? null;
  }
  const counted = await (next === null ? ofChat() : ofChat().where('created_at', '<', next))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { counted: Number(counted.n), next };
}

/**
 * A selection validated by toSelection (src/domain/message-filter.ts says what each field
 * means), dates in the stored form; this file only translates it into SQL.
 */
export interface MessageSelection {
  flowId: string;
  chatId?: string;
  threadId?: string;
  sessionId?: string;
  memoryType?: string;
  chatTypes?: readonly MessageTable['chat_type'][];
  feedbackTypes?: readonly NonNullable<MessageTable['feedback']>[];
  startDate?: string;
  endDate?: string;
  /** The one message of this id, when it matches the rest. */
  messageId?: string;
  /** Messages of soft-deleted threads too (still stored until purged): a subject's erasure takes them. */
  withDeletedThreads?: boolean;
}

/** Narrows a selection to one erasure chunk: rows up to the last id it matched when asked. */
export interface ChunkBounds {
  upToId?: string;
}

type MessagesEb = ExpressionBuilder<Database, 'messages'>;

function matchesFields(s: MessageSelection & ChunkBounds, table: 'messages' | 'r'): Expression<SqlBool> {
  const col = (name: string) => sql.ref(`${table}.${name}`);
  const conds: Expression<SqlBool>[] = [sql<SqlBool>`${col('flow_id')} = ${s.flowId}`];
  // Whether the chat or thread is gone is checked once per statement (uncorrelated), before
  // any message: a large chat's rows stay on disk while the queue erases them, and walking
  // them only to exclude each one took 100 ms a read at 600 k rows.
  if (s.chatId !== undefined)
    conds.push(sql<SqlBool>`${col('chat_id')} = ${s.chatId} and exists (select 1 from chats where id = ${s.chatId} and deleted_at is null)`);
  if (s.threadId !== undefined)
    conds.push(sql<SqlBool>`${col('thread_id')} = ${s.threadId} and exists (select 1 from threads where id = ${s.threadId} and deleted_at is null)`);
  if (s.sessionId !== undefined) conds.push(sql<SqlBool>`${col('session_id')} = ${s.sessionId}`);
  if (s.memoryType !== undefined) conds.push(sql<SqlBool>`${col('memory_type')} = ${s.memoryType}`);
  if (s.chatTypes !== undefined) conds.push(sql<SqlBool>`${col('chat_type')} in (${sql.join(s.chatTypes)})`);
  if (s.startDate !== undefined) conds.push(sql<SqlBool>`${col('created_at')} >= ${s.startDate}`);
  if (s.endDate !== undefined) conds.push(sql<SqlBool>`${col('created_at')} <= ${s.endDate}`);
  if (s.messageId !== undefined) conds.push(sql<SqlBool>`${col('id')} = ${s.messageId}`);
  if (s.upToId !== undefined) conds.push(sql<SqlBool>`${col('id')} <= ${s.upToId}`);
  // NOT IN the flow's few soft-deleted threads (found by index, once per statement), so
  // that the planner never drives the search from the flow's threads: the filter index leads.
  if (!s.withDeletedThreads) {
    conds.push(sql<SqlBool>`${col('thread_id')} not in (select id from threads where flow_id = ${s.flowId} and deleted_at is not null)`);
  }
  return sql<SqlBool>`(${sql.join(conds, sql` and `)})`;
}

/** The id of the prompt of rated message `r`, as src/domain/message-filter.ts defines it. */
const promptOfR = sql`(select p.id from messages p
  where p.thread_id = r.thread_id and p.role = 'USER' and (p.created_at, p.id) < (r.created_at, r.id)
  order by p.created_at desc, p.id desc limit 1)`;

/** The predicate of a selection on `messages`; with feedbackTypes, the rated rows or the prompt of one. */
export function selectionPredicate(s: MessageSelection & ChunkBounds) {
  return (eb: MessagesEb): Expression<SqlBool> => {
    if (s.feedbackTypes === undefined) return matchesFields(s, 'messages');
    const types = sql.join(s.feedbackTypes);
    const prompts = sql<SqlBool>`messages.id in (select ${promptOfR} from messages r where r.feedback in (${types}) and ${matchesFields(s, 'r')})`;
    return eb.or([eb.and([matchesFields(s, 'messages'), sql<SqlBool>`messages.feedback in (${types})`]), prompts]);
  };
}

/** Up to `limit` threads holding rated rows of a feedback selection. */
export async function threadsWithRatedRows(db: Db, s: MessageSelection & ChunkBounds, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom('messages')
    .select('messages.thread_id')
    .distinct()
    .where(matchesFields(s, 'messages'))
    .where('messages.feedback', 'in', s.feedbackTypes ?? [])
    .limit(limit)
    .execute();
  return rows.map((r) => r.thread_id);
}

/**
 * The ids a feedback selection erases in the given threads: their rated rows and the
 * prompt of each. The threads' rows are read first (a materialised CTE, so the thread
 * index leads): left to itself, SQLite prefers the flow-wide feedback index and walks
 * every rated row of the flow for each chunk.
 */
export function feedbackIdsInThreads(s: MessageSelection & ChunkBounds, threadIds: readonly string[]) {
  const rated = sql`r where r.feedback in (${sql.join(s.feedbackTypes ?? [])}) and ${matchesFields(s, 'r')}`;
  return sql<string>`with r as materialized (select * from messages where thread_id in (${sql.join(threadIds)}))
    select r.id from ${rated} union all select ${promptOfR} from ${rated}`;
}

export async function listSelectedMessages(db: Db, s: MessageSelection, page: PageRequest): Promise<MessageRow[]> {
  const q = db.selectFrom('messages').selectAll().where(selectionPredicate(s));
  return keysetPage(q, 'created_at', 'id', page).execute();
}

/** The threads (and their chats) holding a selected message: its cost follows the matched rows. */
export async function threadsOfSelection(db: Db, s: MessageSelection) {
  return db.selectFrom('messages').select(['messages.thread_id', 'messages.chat_id']).distinct().where(selectionPredicate(s)).execute();
}

/** The flows of the tenant holding messages of `sessionId`, by id. */
export async function flowsOfSubject(db: Db, tenantId: string, sessionId: string): Promise<string[]> {
  const rows = await db.selectFrom('messages').select('flow_id').distinct().where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).orderBy('flow_id').execute();
  return rows.map((r) => r.flow_id);
}

/** True when the selection matches more than `n` messages (reads at most n + 1 index entries). */
export async function selectionExceeds(db: Db, s: MessageSelection, n: number): Promise<boolean> {
  const row = await db.selectFrom('messages').select('messages.id').where(selectionPredicate(s)).limit(1).offset(n).executeTakeFirst();
  return row !== undefined;
}

/** How many messages the selection matches (a dry run of an erasure too large to do inline). */
export async function countSelection(db: Db, s: MessageSelection): Promise<number> {
  const row = await db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).where(selectionPredicate(s)).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteSelection(db: Db, s: MessageSelection): Promise<number> {
  const result = await db.deleteFrom('messages').where(selectionPredicate(s)).executeTakeFirst();
  return Number(result.numDeletedRows);
}

