import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { countChatMessagesStep } from '../../src/data/messages.repository.ts';
import { ERASE_INLINE_LIMIT } from '../../src/domain/erasure-jobs.ts';
import { chatWithMessages, insertMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { deleteChat, readChat, waitUntil } from '../graphql/documents.ts';

// A large chat is hidden first and counted after, in steps that end between two
// timestamps. Messages sharing one timestamp (bulk imports do that) must be counted once.

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

/** A chat of one posted message plus `n` inserted ones, `tied` of which share one timestamp. */
async function chatWithTies(n: number, tied: number) {
  const base = await chatWithMessages(t, 1);
  await insertMessages(t, base.threadId, n, {
    content: (i) => `message ${i}`,
    // Every row from 1,000 on shares one timestamp; the others have their own.
    createdAt: (i) => (i >= 1000 && i < 1000 + tied ? '2025-01-01T00:00:05.000Z' : new Date(Date.UTC(2024, 0, 1) + i).toISOString()),
  });
  return { ...base, total: n + 1 };
}

it('counting in steps counts every message once, also across a run of equal timestamps longer than a step', async () => {
  const chat = await chatWithTies(4000, 1500);
  const db = t.app.deps.store.db;
  for (const step of [1, 7, 100, 999, 1500, 10_000]) {
    let total = 0;
    let steps = 0;
    let from: string | null = null;
    do {
      const r = await countChatMessagesStep(db, chat.chatId, from, step);
      total += r.counted;
      from = r.next;
      steps++;
    } while (from !== null && steps < 10_000);
    expect(total, `step ${step}`).toBe(chat.total);
    const direct = await db.selectFrom('messages').select(sql<number>`count(*)`.as('n')).where('chat_id', '=', chat.chatId).executeTakeFirstOrThrow();
    expect(Number(direct.n)).toBe(chat.total);
  }
});

it('deleteChat of a large chat answers the exact count, records it in the audit entry and the job, and erases every row', async () => {
  const chat = await chatWithTies(ERASE_INLINE_LIMIT + 1000, 3000);
  expect((await readChat(t, chat.chatId)).messageCount).toBe(chat.total);
  const r = await deleteChat(t, { id: chat.chatId });
  expect(r).toMatchObject({ __typename: 'DeleteChatSuccess', deletedMessageCount: chat.total, deletedThreadCount: 1 });
  const db = t.app.deps.store.db;
  const audit = await db.selectFrom('audit_log').select('details').where('target_id', '=', chat.chatId).execute();
  expect(audit).toHaveLength(1);
  expect(JSON.parse(audit[0]!.details ?? '{}')).toMatchObject({ deletedMessageCount: chat.total, erasure: 'queued' });
  const job = await waitUntil(
    () => db.selectFrom('erasure_jobs').selectAll().where('target_id', '=', chat.chatId).executeTakeFirstOrThrow(),
    (j) => j.finished_at !== null,
    'the erasure job to finish',
  );
  expect(job).toMatchObject({ total: chat.total, done: chat.total, pending_audit: null });
  const left = await db.selectFrom('messages').select(sql<number>`count(*)`.as('n')).where('chat_id', '=', chat.chatId).executeTakeFirstOrThrow();
  expect(Number(left.n)).toBe(0);
});
