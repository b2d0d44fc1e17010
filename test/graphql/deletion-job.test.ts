import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { chatWithMessages, insertMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { openSse } from '../live/sse-client.ts';
import { startTestServer } from '../helpers/server.ts';

let t: TestApp;
afterEach(async () => t.close());

async function bigChat(n: number) {
  const base = await chatWithMessages(t, 1);
  await insertMessages(t, base.threadId, n, { createdAt: () => '2025-01-01T00:00:00.000Z' });
  return base;
}

const DELETE = `mutation($id: ID!) { deleteChat(id: $id) { ... on DeleteChatSuccess { deletedMessageCount erasureJob { id kind total done finished } } } }`;
const JOB = `query($id: ID!) { deletionJob(id: $id) { id kind targetId total done finished finishedAt } }`;

it('a small chat is erased at once: no job', async () => {
  t = await startTestApp();
  const { chatId } = await chatWithMessages(t, 2);
  const r = await t.gql(DELETE, { id: chatId });
  expect(r.body.data.deleteChat).toEqual({ deletedMessageCount: 2, erasureJob: null });
});

it('a large chat answers with its erasure job, whose progress reaches done = total and finished', async () => {
  t = await startTestApp();
  const { chatId } = await bigChat(6000);
  const r = await t.gql(DELETE, { id: chatId });
  const job = r.body.data.deleteChat.erasureJob;
  expect(job).toMatchObject({ kind: 'chat', total: 6001 });
  let now: any;
  for (let i = 0; i < 200; i++) {
    now = (await t.gql(JOB, { id: job.id })).body.data.deletionJob;
    if (now.finished) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(now).toMatchObject({ id: job.id, targetId: chatId, total: 6001, done: 6001, finished: true });
  expect(typeof now.finishedAt).toBe('string');
  const left = await sql<{ n: number }>`select count(*) as n from messages where chat_id = ${chatId}`.execute(t.app.deps.store.db);
  expect(Number(left.rows[0]?.n)).toBe(0);
  expect((await t.gql(JOB, { id: job.id }, { key: t.keys.b })).body.data.deletionJob).toBeNull();
});

it('the deletionJob subscription follows the erasure and completes when it has finished', async () => {
  const server = await startTestServer();
  t = server;
  const { chatId } = await bigChat(6000);
  const r = await t.gql(DELETE, { id: chatId });
  const jobId = r.body.data.deleteChat.erasureJob.id;
  const sub = await openSse(`${server.url}/graphql`, { query: `subscription($id: ID!) { deletionJob(id: $id) { done finished } }`, variables: { id: jobId } }, { 'x-api-key': t.keys.a });
  expect(await sub.done).toBe('complete');
  const seen = sub.messages.filter((m) => m.event === 'next').map((m) => JSON.parse(m.data).data.deletionJob);
  expect(seen.at(-1)).toEqual({ done: 6001, finished: true });
  const dones = seen.map((s: { done: number }) => s.done);
  expect([...dones].sort((a, b) => a - b)).toEqual(dones);
});
