import { afterEach, beforeEach, expect, it } from 'vitest';
import type { MessageRow } from '../../src/data/tables.ts';
import { ERASE_INLINE_LIMIT } from '../../src/domain/erasure-jobs.ts';
import { createChat, createFlow, createThread } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { deleteMessages } from './documents.ts';

// deleteMessages with feedbackTypes erases the rated messages and, as Flowise does, the
// USER message that prompted each: the latest USER message before it in its thread. A
// large one goes through the erasure queue a few whole threads at a time; it must erase
// exactly what the same delete erases at once.

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(() => t.close());

const THREADS = 40;
const PER_THREAD = 300;

/** Threads of USER/ASSISTANT turns, some turns doubled, rated in a mixed pattern. */
async function ratedFlow() {
  const flowId = await createFlow(t);
  const chatId = await createChat(t, flowId);
  const db = t.app.deps.store.db;
  const rows: MessageRow[] = [];
  for (let th = 0; th < THREADS; th++) {
    const threadId = await createThread(t, chatId, `thread ${th}`);
    const thread = await db.selectFrom('threads').selectAll().where('id', '=', threadId).executeTakeFirstOrThrow();
    for (let i = 0; i < PER_THREAD; i++) {
      // Every fifth turn has two ASSISTANT messages in a row, so two rated rows share a prompt.
      const role = i % 2 === 0 && i % 10 !== 4 ? 'USER' : 'ASSISTANT';
      const feedback = role === 'ASSISTANT' ? (i % 7 === 0 ? 'THUMBS_UP' : 'THUMBS_DOWN') : i % 11 === 0 ? 'THUMBS_DOWN' : null;
      rows.push({
        id: `00000000-0000-4000-8000-${String(th * PER_THREAD + i).padStart(12, '0')}`,
        tenant_id: thread.tenant_id,
        flow_id: thread.flow_id,
        chat_id: thread.chat_id,
        thread_id: thread.id,
        role,
        content: `turn ${i}`,
        session_id: null,
        memory_type: null,
        chat_type: 'INTERNAL',
        feedback,
        created_at: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
      });
    }
  }
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('messages').values(rows.slice(i, i + 500)).execute();
  return { flowId, rows };
}

/** What the delete must erase, worked out here from the rows themselves. */
function expectedErased(rows: MessageRow[]): Set<string> {
  const erased = new Set<string>();
  const byThread = new Map<string, MessageRow[]>();
  for (const r of rows) byThread.set(r.thread_id, [...(byThread.get(r.thread_id) ?? []), r]);
  for (const list of byThread.values()) {
    const ordered = [...list].sort((a, b) => (a.created_at + a.id < b.created_at + b.id ? -1 : 1));
    ordered.forEach((r, i) => {
      if (r.feedback !== 'THUMBS_DOWN') return;
      erased.add(r.id);
      const prompt = ordered
        .slice(0, i)
        .reverse()
        .find((p) => p.role === 'USER');
      if (prompt) erased.add(prompt.id);
    });
  }
  return erased;
}

it('a large feedback delete goes through the queue and erases exactly the rated messages and their prompts', async () => {
  const { flowId, rows } = await ratedFlow();
  const expected = expectedErased(rows);
  expect(expected.size).toBeGreaterThan(ERASE_INLINE_LIMIT);
  const r = await deleteMessages(t, { flowId, filter: { feedbackTypes: ['THUMBS_DOWN'] } });
  expect(r).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: expected.size });
  const db = t.app.deps.store.db;
  const jobs = await db.selectFrom('erasure_jobs').selectAll().where('kind', '=', 'messages').execute();
  expect(jobs).toHaveLength(1);
  expect(jobs[0]).toMatchObject({ done: expected.size });
  expect(jobs[0]!.finished_at).not.toBeNull();
  const left = new Set((await db.selectFrom('messages').select('id').where('flow_id', '=', flowId).execute()).map((m) => m.id));
  expect(left.size).toBe(rows.length - expected.size);
  for (const id of expected) expect(left.has(id), `${id} should be erased`).toBe(false);
});
