import { sql } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ERASE_INLINE_LIMIT } from '../../src/domain/erasure-jobs.ts';
import { chatWithMessages, insertMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { AUDIT_LOG, auditEntries, deleteMessages, waitUntil } from './documents.ts';

// A deleteMessages too large to erase at once goes through the erasure queue. Its audit
// entry must carry the number of messages the queue actually erased, as deleteChat's does:
// the same count the answer gives, also when the erasure was interrupted by a restart.

let t: TestApp;
let restarted: App | undefined;
beforeEach(async () => {
  t = await startTestApp();
  restarted = undefined;
});
afterEach(async () => {
  await restarted?.close();
  await t.close();
});

/** A flow of `posted` messages (no session) plus `bulk` inserted ones of session 'bulk'. */
async function flowWithBulk(bulk: number, posted = 3) {
  const base = await chatWithMessages(t, posted);
  await insertMessages(t, base.threadId, bulk, { sessionId: 'bulk' });
  return { ...base, total: bulk + posted };
}

const messagesLeft = async (db: App['deps']['store']['db'], flowId: string) =>
  Number((await sql<{ n: number }>`select count(*) as n from messages where flow_id = ${flowId}`.execute(db)).rows[0]?.n);

/** The tenant's messages.delete audit entries, read as a client reads them. */
async function messageDeletes(app: App, key: string) {
  const response = await app.gateway.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query: AUDIT_LOG }),
  });
  const body = (await response.json()) as { data: { auditLog: { edges: { node: any }[] } } };
  return body.data.auditLog.edges.map((e) => e.node).filter((n) => n.action === 'messages.delete');
}

it('a queued deleteMessages with a filter audits the exact number it erased, the number it answers', async () => {
  const { flowId, total } = await flowWithBulk(ERASE_INLINE_LIMIT + 1000);
  const erased = total - 3;
  const r = await deleteMessages(t, { flowId, filter: { sessionId: 'bulk' } });
  expect(r).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: erased });
  expect(r.auditEntry.details, 'the audit entry of the answer').toMatchObject({ affected: erased, filter: { sessionId: 'bulk' } });
  expect(await messagesLeft(t.app.deps.store.db, flowId)).toBe(3);
  const entries = (await auditEntries(t)).filter((e) => e.action === 'messages.delete');
  expect(entries).toHaveLength(1);
  expect(entries[0], 'the audit log').toMatchObject({ id: r.auditEntry.id, targetId: flowId, details: { affected: erased } });
});

it('a queued deleteMessages without a filter audits the exact number it erased', async () => {
  const { flowId, total } = await flowWithBulk(ERASE_INLINE_LIMIT + 1000);
  const r = await deleteMessages(t, { flowId });
  expect(r).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: total });
  expect(r.auditEntry.details, 'the audit entry of the answer').toMatchObject({ affected: total, filter: {} });
  expect(await messagesLeft(t.app.deps.store.db, flowId)).toBe(0);
  expect((await auditEntries(t)).filter((e) => e.action === 'messages.delete').map((e) => e.details.affected)).toEqual([total]);
});

it('DELETE /api/v1/chatmessage/{id} of a queued delete answers and audits the exact number it erased', async () => {
  const { flowId, total } = await flowWithBulk(ERASE_INLINE_LIMIT + 1000);
  const erased = total - 3;
  const response = await t.app.gateway.fetch(`http://gateway.test/api/v1/chatmessage/${flowId}?sessionId=bulk`, {
    method: 'DELETE',
    headers: { 'x-api-key': t.keys.a },
  });
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ affected: erased, raw: [] });
  expect((await auditEntries(t)).filter((e) => e.action === 'messages.delete').map((e) => e.details.affected)).toEqual([erased]);
});

it('a queued deleteMessages interrupted by a restart mid-erasure audits, once resumed, every message it erased', async () => {
  const bulk = 30_000;
  const { flowId } = await flowWithBulk(bulk);
  const db = t.app.deps.store.db;
  const asked = t.gql(
    `mutation($f: ID!) { deleteMessages(flowId: $f, filter: { sessionId: "bulk" }) { __typename ... on DeleteMessagesSuccess { affected } } }`,
    { f: flowId },
  );
  const job = () => db.selectFrom('erasure_jobs').selectAll().where('kind', '=', 'messages').executeTakeFirst();
  await waitUntil(job, (j) => (j?.done ?? 0) > 0, 'the erasure to start');
  await t.app.close();
  // Answered before the count is final: no success claims a count the audit entry will not carry.
  const answer = await asked;
  expect(answer.body.data?.deleteMessages ?? null, JSON.stringify(answer.body)).toBeNull();
  expect(answer.body.errors).toHaveLength(1);
  // Not a fault: the client is told to come back, and the erasure goes on at the next start.
  expect({ status: answer.status, code: answer.body.errors?.[0]?.extensions?.code }).toEqual({ status: 503, code: 'SHUTTING_DOWN' });

  // The same database, a new process: the queue resumes the job where it stopped.
  restarted = await createApp({ ...loadConfig({}), databaseUrl: t.dbPath, tokenIntervalMs: 5 }, { clock: t.clock, purgeTimer: false });
  const again = restarted.deps.store.db;
  const interrupted = await again.selectFrom('erasure_jobs').selectAll().where('kind', '=', 'messages').executeTakeFirstOrThrow();
  expect(interrupted.done, 'the restart interrupted the erasure half-way').toBeLessThan(bulk);
  await waitUntil(
    () => again.selectFrom('erasure_jobs').select('finished_at').where('id', '=', interrupted.id).executeTakeFirstOrThrow(),
    (j) => j.finished_at !== null,
    'the resumed erasure to finish',
    30_000,
  );
  expect(await messagesLeft(again, flowId)).toBe(3);
  const entries = await messageDeletes(restarted, t.keys.a);
  expect(entries).toHaveLength(1);
  expect(entries[0].details, 'the audit entry after the resumed erasure').toMatchObject({ affected: bulk });
});
