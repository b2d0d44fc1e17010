import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { purgeExpiredThreads } from '../../src/domain/purge.ts';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type GqlResult, type TestApp, startTestApp } from '../helpers/harness.ts';
import {
  DAY_MS,
  DELETE_CHAT,
  DELETE_MESSAGES,
  DELETE_STREAM,
  DELETE_THREAD,
  RESTORE_THREAD,
  deleteThread,
  flowSnapshot,
  longPrompt,
  readStream,
  rowCounts,
  run,
  startStream,
  waitForStatus,
  waitForTokens,
} from './documents.ts';

// docs/design.md#the-four-deletes: all run in one transaction with their audit entry: all
// or nothing. A failure is forced with a trigger that aborts one statement of the delete;
// the client gets a masked error and every row is as it was.

let t: TestApp;
let f: { flowId: string; chatId: string; threadId: string; softThreadId: string; streamId: string };

beforeEach(async () => {
  t = await startTestApp();
  const flowId = await createFlow(t, 'Flow');
  const chatId = await createChat(t, flowId, 'Chat');
  const threadId = await createThread(t, chatId, 'Thread');
  for (const content of ['one', 'two', 'three']) await postMessage(t, threadId, { content, sessionId: 's1' });
  const softThreadId = await createThread(t, chatId, 'Soft');
  await postMessage(t, softThreadId, { content: 'in the bin' });
  await deleteThread(t, { id: softThreadId });
  const { streamId } = await startStream(t, threadId, 'alpha beta gamma');
  await waitForStatus(t, streamId, 'COMPLETED');
  f = { flowId, chatId, threadId, softThreadId, streamId };
});
afterEach(async () => t.close());

/** Makes every `event` on `table` fail, as a broken disk or a bug would, inside the delete. */
async function failOn(event: string, table: string) {
  const db = t.app.deps.store.db;
  if (t.engine === 'postgres') {
    await sql.raw(`CREATE FUNCTION fail_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$`).execute(db);
    await sql.raw(`CREATE TRIGGER fail_write BEFORE ${event} ON ${table} FOR EACH ROW EXECUTE FUNCTION fail_write()`).execute(db);
  } else {
    await sql.raw(`CREATE TRIGGER fail_write BEFORE ${event} ON ${table} BEGIN SELECT RAISE(ABORT, 'boom'); END`).execute(db);
  }
  failing = table;
}
let failing: string | undefined;
async function stopFailing() {
  const db = t.app.deps.store.db;
  if (t.engine === 'postgres') {
    await sql.raw(`DROP TRIGGER fail_write ON ${failing}`).execute(db);
    await sql.raw('DROP FUNCTION fail_write()').execute(db);
  } else {
    await sql.raw('DROP TRIGGER fail_write').execute(db);
  }
  failing = undefined;
}

/** An unexpected fault: a masked GraphQL error, with nothing of the SQL in it. */
function expectMaskedError(r: GqlResult, field: string) {
  expect(r.body.errors?.length).toBeGreaterThan(0);
  expect(r.body.data?.[field] ?? null).toBeNull();
  const told = JSON.stringify(r.body.errors!.map((e) => ({ message: e.message, extensions: e.extensions })));
  expect(told).not.toMatch(/boom|audit_log|stream_events|messages|chats|threads|sqlite|trigger|raise|constraint|insert|update|delete/i);
}

async function state() {
  return {
    snapshot: await flowSnapshot(t, f.flowId),
    stream: await readStream(t, f.streamId),
    rows: await rowCounts(t),
  };
}

const cases: { name: string; field: string; query: string; vars: () => Record<string, unknown>; event: string; table: string }[] = [
  { name: 'deleteChat failing at its audit entry', field: 'deleteChat', query: DELETE_CHAT, vars: () => ({ id: f.chatId }), event: 'INSERT', table: 'audit_log' },
  { name: 'deleteChat failing while its stream events go', field: 'deleteChat', query: DELETE_CHAT, vars: () => ({ id: f.chatId }), event: 'DELETE', table: 'stream_events' },
  { name: 'deleteThread (soft) failing at its audit entry', field: 'deleteThread', query: DELETE_THREAD, vars: () => ({ id: f.threadId }), event: 'INSERT', table: 'audit_log' },
  { name: 'deleteThread (soft) failing when the chat version is raised', field: 'deleteThread', query: DELETE_THREAD, vars: () => ({ id: f.threadId }), event: 'UPDATE', table: 'chats' },
  { name: 'deleteThread (permanent) failing at its audit entry', field: 'deleteThread', query: DELETE_THREAD, vars: () => ({ id: f.threadId, permanent: true }), event: 'INSERT', table: 'audit_log' },
  { name: 'deleteThread (permanent, of a soft-deleted thread) failing at its audit entry', field: 'deleteThread', query: DELETE_THREAD, vars: () => ({ id: f.softThreadId, permanent: true }), event: 'INSERT', table: 'audit_log' },
  { name: 'deleteStream failing at its audit entry', field: 'deleteStream', query: DELETE_STREAM, vars: () => ({ id: f.streamId }), event: 'INSERT', table: 'audit_log' },
  { name: 'deleteStream failing when the thread version is raised', field: 'deleteStream', query: DELETE_STREAM, vars: () => ({ id: f.streamId }), event: 'UPDATE', table: 'threads' },
  { name: 'deleteMessages failing at its audit entry', field: 'deleteMessages', query: DELETE_MESSAGES, vars: () => ({ flowId: f.flowId }), event: 'INSERT', table: 'audit_log' },
  { name: 'deleteMessages (hardDelete) failing after the rows and events went', field: 'deleteMessages', query: DELETE_MESSAGES, vars: () => ({ flowId: f.flowId, filter: { threadId: f.threadId }, hardDelete: true }), event: 'UPDATE', table: 'chats' },
  { name: 'restoreThread failing at its audit entry', field: 'restoreThread', query: RESTORE_THREAD, vars: () => ({ id: f.softThreadId }), event: 'INSERT', table: 'audit_log' },
];

describe('a failure in the middle of a write leaves everything as it was', () => {
  it.each(cases)('$name', async ({ field, query, vars, event, table }) => {
    const before = await state();
    await failOn(event, table);
    expectMaskedError(await t.gql(query, vars()), field);
    expect(await state()).toEqual(before);

    // Nothing was left half-open: without the fault the same request succeeds.
    await stopFailing();
    const r = await run(t, query, vars(), field);
    expect(r.__typename).toMatch(/Success$/);
    expect(await state()).not.toEqual(before);
  });
});

describe('the purge', () => {
  it('keeps a thread whose erasure failed, and erases it on the next run', async () => {
    t.clock.advance(31 * DAY_MS);
    const before = await rowCounts(t);
    await failOn('INSERT', 'audit_log');
    await expect(purgeExpiredThreads(t.app.deps)).rejects.toThrow();
    expect(await rowCounts(t)).toEqual(before);
    await stopFailing();
    expect((await purgeExpiredThreads(t.app.deps)).purged).toBe(1);
    const rows = await t.app.deps.store.db.selectFrom('threads').select('id').where('id', '=', f.softThreadId).execute();
    expect(rows).toEqual([]);
  });
});

describe('a failed delete and running streams', () => {
  it('a deleteChat that fails does not cancel the running stream it would have cancelled', async () => {
    const { streamId } = await startStream(t, f.threadId, longPrompt(40));
    await waitForTokens(t, streamId);
    await failOn('INSERT', 'audit_log');
    expectMaskedError(await t.gql(DELETE_CHAT, { id: f.chatId }), 'deleteChat');
    await stopFailing();
    const done = await waitForStatus(t, streamId, 'COMPLETED');
    expect(done.events.map((e: any) => e.type)).not.toContain('CANCELLED');
    expect(done.message).toMatchObject({ role: 'ASSISTANT', content: longPrompt(40) });
  });
});
