import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { purgeExpiredThreads } from '../../src/domain/purge.ts';
import type { TokenSource } from '../../src/domain/token-sources.ts';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { ENGINE } from '../helpers/database.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import {
  DAY_MS,
  auditEntries,
  cancelStream,
  deleteChat,
  deleteMessages,
  deleteStream,
  deleteThread,
  startStream,
  waitForStatus,
  waitForTokens,
  waitUntil,
} from './documents.ts';

// docs/design.md#erasure-is-real: permanent deletes leave no readable copy of the content in
// the database files; the deleted text cannot be found in the bytes of the .db or -wal file.
// The audit log never holds message content.

const secret = () => `SECRET-${randomUUID()}`;

/** Where the marker's bytes are found on disk right now: every file of the database (db, WAL, shm). */
function filesHolding(t: TestApp, marker: string): string[] {
  const needle = Buffer.from(marker, 'utf8');
  return [t.dbPath, `${t.dbPath}-wal`, `${t.dbPath}-shm`].filter(
    (file) => existsSync(file) && readFileSync(file).includes(needle),
  );
}

/** Before the delete: the marker is on disk (so the check below can fail). */
function expectOnDisk(t: TestApp, marker: string) {
  expect(filesHolding(t, marker)).not.toEqual([]);
}

/**
 * After the delete: the marker is gone from both files. Erasure may finish in the
 * background (large deletes run in chunks), so it gets a few seconds to get there.
 */
async function expectErased(t: TestApp, marker: string) {
  await waitUntil(async () => filesHolding(t, marker), (files) => files.length === 0, `${marker} to be erased from disk`, 5000);
}

async function expectNotInAudit(t: TestApp, marker: string) {
  expect(JSON.stringify(await auditEntries(t))).not.toContain(marker);
  const rows = await t.app.deps.store.db.selectFrom('audit_log').select('details').execute();
  expect(JSON.stringify(rows)).not.toContain(marker);
}

async function thread(t: TestApp) {
  const flowId = await createFlow(t, 'Flow');
  const chatId = await createChat(t, flowId, 'Chat');
  const threadId = await createThread(t, chatId, 'Thread');
  await postMessage(t, threadId, { content: 'an ordinary message that stays readable' });
  return { flowId, chatId, threadId };
}

// The bytes of the .db and -wal files: a SQLite matter (PostgreSQL runs skip this file).
describe.skipIf(ENGINE !== 'sqlite')('with the built-in generator', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(async () => t.close());

  it('deleteChat erases the content of its messages, of its soft-deleted threads and of its stream events', async () => {
    const { chatId, threadId } = await thread(t);
    const [inMessage, inSoftThread, inStream] = [secret(), secret(), secret()];
    await postMessage(t, threadId, { content: `the code is ${inMessage}` });
    const soft = await createThread(t, chatId, 'soft');
    await postMessage(t, soft, { content: inSoftThread });
    await deleteThread(t, { id: soft });
    const { streamId } = await startStream(t, threadId, `repeat ${inStream}`);
    await waitForStatus(t, streamId, 'COMPLETED');
    for (const marker of [inMessage, inSoftThread, inStream]) expectOnDisk(t, marker);

    expect((await deleteChat(t, { id: chatId })).__typename).toBe('DeleteChatSuccess');
    for (const marker of [inMessage, inSoftThread, inStream]) {
      await expectErased(t, marker);
      await expectNotInAudit(t, marker);
    }
  });

  it('deleteThread with permanent: true erases the content', async () => {
    const { threadId } = await thread(t);
    const marker = secret();
    await postMessage(t, threadId, { content: marker });
    expectOnDisk(t, marker);
    expect((await deleteThread(t, { id: threadId, permanent: true })).__typename).toBe('DeleteThreadSuccess');
    await expectErased(t, marker);
    await expectNotInAudit(t, marker);
  });

  it('a soft delete keeps the content for a restore; the permanent delete after it erases it', async () => {
    const { threadId } = await thread(t);
    const marker = secret();
    await postMessage(t, threadId, { content: marker });
    await deleteThread(t, { id: threadId });
    expectOnDisk(t, marker);
    await deleteThread(t, { id: threadId, permanent: true });
    await expectErased(t, marker);
    await expectNotInAudit(t, marker);
  });

  it('the purge after the restore window erases the content', async () => {
    const { threadId } = await thread(t);
    const marker = secret();
    await postMessage(t, threadId, { content: marker });
    await deleteThread(t, { id: threadId });
    t.clock.advance(31 * DAY_MS);
    expectOnDisk(t, marker);
    expect((await purgeExpiredThreads(t.app.deps)).purged).toBe(1);
    await expectErased(t, marker);
    await expectNotInAudit(t, marker);
  });

  it('deleteMessages with hardDelete erases the messages and the stream events that carried them', async () => {
    const { flowId, threadId } = await thread(t);
    const [inMessage, inStream] = [secret(), secret()];
    await postMessage(t, threadId, { content: inMessage, sessionId: 'secret-session' });
    const { streamId } = await startStream(t, threadId, `say ${inStream}`);
    await waitForStatus(t, streamId, 'COMPLETED');
    expectOnDisk(t, inMessage);
    expectOnDisk(t, inStream);

    const r = await deleteMessages(t, { flowId, filter: { threadId }, hardDelete: true });
    expect(r).toMatchObject({ __typename: 'DeleteMessagesSuccess', affected: 4, hardDelete: true });
    for (const marker of [inMessage, inStream]) {
      await expectErased(t, marker);
      await expectNotInAudit(t, marker);
    }
  });

  it('deleteStream of a COMPLETED stream erases its events but not the reply it committed', async () => {
    const { threadId } = await thread(t);
    const marker = secret();
    const { streamId } = await startStream(t, threadId, `echo ${marker}`);
    await waitForStatus(t, streamId, 'COMPLETED');
    const tokenRows = async () =>
      t.app.deps.store.db.selectFrom('stream_events').select('data').where('stream_id', '=', streamId).execute();
    expect(JSON.stringify(await tokenRows())).toContain(marker);
    await deleteStream(t, { id: streamId });
    expect(await tokenRows()).toEqual([]);
    // The prompt and the reply belong to the thread: still there, so still on disk.
    expectOnDisk(t, marker);
    await expectNotInAudit(t, marker);
  });
});

describe.skipIf(ENGINE !== 'sqlite')('with a generator whose output differs from the prompt', () => {
  // Writes "OUT-<prompt>" as its one token, then waits until it is cancelled: the
  // partial output then exists only in the stream's cached events.
  const holdingTokens: TokenSource = async function* ({ prompt }, signal) {
    yield `OUT-${prompt}`;
    await sleep(60_000, undefined, { signal });
  };

  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ tokens: holdingTokens });
  });
  afterEach(async () => t.close());

  it("deleteStream of a RUNNING stream erases its partial output", async () => {
    const { threadId } = await thread(t);
    const id = randomUUID();
    const marker = `OUT-${id}`;
    const { streamId } = await startStream(t, threadId, id);
    await waitForTokens(t, streamId);
    expectOnDisk(t, marker);

    expect(await deleteStream(t, { id: streamId })).toMatchObject({ __typename: 'DeleteStreamSuccess', cancelled: true });
    await expectErased(t, marker);
    await expectNotInAudit(t, marker);
  });

  it('deleteMessages with hardDelete erases the partial output of a cancelled stream whose prompt it deleted', async () => {
    const { flowId, threadId } = await thread(t);
    const id = randomUUID();
    const marker = `OUT-${id}`;
    const { streamId } = await startStream(t, threadId, id);
    await waitForTokens(t, streamId);
    await cancelStream(t, streamId);
    expectOnDisk(t, marker);

    const r = await deleteMessages(t, { flowId, filter: { threadId }, hardDelete: true });
    expect(r).toMatchObject({ affected: 2, erasedEventCount: 1 });
    await expectErased(t, marker);
  });
});
