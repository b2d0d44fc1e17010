import { sql } from 'kysely';
import { type MessageSelection, feedbackIdsInThreads, selectionPredicate, threadsWithRatedRows } from './messages.repository.ts';
import type { Db } from './db.ts';
import type { ErasureJobRow } from './tables.ts';

export async function insertErasureJob(db: Db, row: ErasureJobRow) {
  await db.insertInto('erasure_jobs').values(row).execute();
}

export async function oldestErasureJob(db: Db, skipping: readonly string[] = []): Promise<ErasureJobRow | undefined> {
  let q = db.selectFrom('erasure_jobs').selectAll().where('finished_at', 'is', null);
  if (skipping.length > 0) q = q.where('id', 'not in', skipping);
  return q
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

export async function findErasureJob(db: Db, id: string): Promise<ErasureJobRow | undefined> {
  return db.selectFrom('erasure_jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findTenantErasureJob(db: Db, tenantId: string, id: string): Promise<ErasureJobRow | undefined> {
  return db.selectFrom('erasure_jobs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function finishErasureJob(db: Db, id: string, now: string) {
  await db.updateTable('erasure_jobs').set({ finished_at: now }).where('id', '=', id).execute();
}

export async function deleteFinishedErasureJobs(db: Db, before: string): Promise<number> {
  const result = await db.deleteFrom('erasure_jobs').where('finished_at', '<=', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function erasureBacklog(db: Db): Promise<{ jobs: number; oldest: string | null }> {
  const row = await db
    .selectFrom('erasure_jobs')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
    .where('finished_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { jobs: Number(row.n), oldest: row.oldest ?? null };
}

/** Sets the job's total once counted; its audit entry is recorded by then. */
export async function setErasureTotal(db: Db, id: string, total: number) {
  await db.updateTable('erasure_jobs').set({ total, pending_audit: null }).where('id', '=', id).execute();
}

export async function addErasureProgress(db: Db, id: string, rows: number) {
  await db
    .updateTable('erasure_jobs')
    .set((eb) => ({ done: eb('done', '+', rows) }))
    .where('id', '=', id)
    .execute();
}

// Each chunk below is one bounded statement, so a transaction around it stays short.

export async function deleteChatMessagesChunk(db: Db, chatId: string, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('messages')
    .where('id', 'in', (eb) => eb.selectFrom('messages').select('id').where('chat_id', '=', chatId).limit(limit))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteChatStreamEventsChunk(db: Db, chatId: string, limit: number): Promise<number> {
  const result = await sql`
    delete from stream_events where (stream_id, seq) in (
      select stream_id, seq from stream_events
      where stream_id in (select id from streams where chat_id = ${chatId}) limit ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * The selection's rows, up to the last id it matched when the delete was asked for.
 * Answers the thread and chat of each erased row, whose versions the erasure bumps.
 * `size` is rows, or with feedbackTypes threads: a rated message's prompt is found
 * through it, so each chunk takes whole threads, the prompts with the rated rows.
 */
export async function deleteSelectionChunk(db: Db, s: MessageSelection, upToId: string, size: number) {
  const erased = ['thread_id', 'chat_id'] as const;
  if (s.feedbackTypes === undefined) {
    return db
      .deleteFrom('messages')
      .where('id', 'in', (eb) =>
        eb.selectFrom('messages').select('messages.id').where(selectionPredicate(s)).where('messages.id', '<=', upToId).limit(size),
      )
      .returning(erased)
      .execute();
  }
  const threadIds = await threadsWithRatedRows(db, { ...s, upToId }, size);
  if (threadIds.length === 0) return [];
  const ids = feedbackIdsInThreads({ ...s, upToId }, threadIds);
  return db.deleteFrom('messages').where('id', 'in', sql<string>`(${ids})`).returning(erased).execute();
}
