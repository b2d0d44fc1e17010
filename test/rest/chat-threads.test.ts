import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import { DAY_MS, ISO, UUID, expectJson, gqlData, lastAudit, rest, rowCounts, waitForStreamStatus, words } from './rest-helpers.ts';

// Seed 002 (FastAPI): DELETE /api/chat/threads/{thread_id} → 200 ThreadDeleteResponse in
// camelCase; its one error row is 422 HTTPValidationError {"detail":[{loc, msg, type}]}.
// docs/rest.md#seed-002-chat-threads: soft by default (restorable for 30 days),
// ?permanent=true erases at once.

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

async function storedThread(server: TestServer, id: string) {
  return server.app.deps.store.db.selectFrom('threads').selectAll().where('id', '=', id).executeTakeFirst();
}

async function storedMessageCount(server: TestServer, threadId: string) {
  const rows = await server.app.deps.store.db.selectFrom('messages').select('id').where('thread_id', '=', threadId).execute();
  return rows.length;
}

describe('DELETE /api/chat/threads/{thread_id}', () => {
  it('soft-deletes by default and answers the ThreadDeleteResponse with every field it can fill truthfully', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 3);
    const r = await rest(t, 'DELETE', `/api/chat/threads/${threadId}`, { key: t.keys.a, headers: { 'X-Request-ID': 'req-002-soft' } });
    const audit = await lastAudit(t);
    expectJson(r, 200, {
      status: 'success',
      message: 'Thread deleted; it can be restored until its restoreUntil',
      threadId,
      deletedMessageCount: 3,
      deletedAt: expect.stringMatching(ISO),
      deletedBy: 'key-a',
      softDelete: true,
      permanentDelete: false,
      canRestore: true,
      restoreUntil: expect.stringMatching(ISO),
      threadTitle: 'Thread',
      requestId: 'req-002-soft',
      operationDurationMs: expect.any(Number),
      timestamp: r.body?.deletedAt,
      errors: [],
      warnings: [],
      errorCount: 0,
      warningCount: 0,
      auditLogId: audit?.id,
      backupCreated: false,
    });
    expect(Date.parse(r.body.restoreUntil) - Date.parse(r.body.deletedAt)).toBe(30 * DAY_MS);
    expect(r.body.operationDurationMs).toBeGreaterThanOrEqual(0);

    // Stored as a soft delete; gone from reads; the audit entry is deleteThread's.
    expect(await storedThread(t, threadId)).toMatchObject({
      deleted_at: r.body.deletedAt,
      restore_until: r.body.restoreUntil,
      deleted_by: 'key-a',
    });
    expect(await storedMessageCount(t, threadId)).toBe(3);
    expect((await gqlData(t, `query($id: ID!) { thread(id: $id) { id } }`, { id: threadId })).thread).toBeNull();
    expect({ ...audit, details: JSON.parse(audit?.details ?? 'null') }).toEqual({
      id: expect.stringMatching(UUID),
      tenant_id: expect.any(String),
      action: 'thread.delete',
      target_type: 'THREAD',
      target_id: threadId,
      actor: 'key-a',
      request_id: 'req-002-soft',
      details: { permanent: false, wasSoftDeleted: false, deletedMessageCount: 3, cancelledStreamCount: 0 },
      at: r.body.deletedAt,
      seq: expect.any(Number),
    });

    // canRestore is true: restoreThread brings it back unchanged.
    const restored = await gqlData(
      t,
      `mutation($id: ID!) { restoreThread(id: $id) { __typename ... on RestoreThreadSuccess { thread { id messageCount } } } }`,
      { id: threadId },
    );
    expect(restored.restoreThread).toEqual({ __typename: 'RestoreThreadSuccess', thread: { id: threadId, messageCount: 3 } });
  });

  it('?permanent=true erases the thread and its messages at once; restore fields say so', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 2);
    const before = await rowCounts(t);
    const r = await rest(t, 'DELETE', `/api/chat/threads/${threadId}?permanent=true`, { key: t.keys.a });
    expectJson(r, 200, {
      status: 'success',
      message: 'Thread permanently deleted',
      threadId,
      deletedMessageCount: 2,
      deletedAt: expect.stringMatching(ISO),
      deletedBy: 'key-a',
      softDelete: false,
      permanentDelete: true,
      canRestore: false,
      // Not echoed: the erased title must not live on in an answer kept for a retry.
      requestId: expect.any(String),
      operationDurationMs: expect.any(Number),
      timestamp: r.body?.deletedAt,
      errors: [],
      warnings: [],
      errorCount: 0,
      warningCount: 0,
      auditLogId: expect.stringMatching(UUID),
      backupCreated: false,
    });
    expect(await storedThread(t, threadId)).toBeUndefined();
    expect(await storedMessageCount(t, threadId)).toBe(0);
    expect(await rowCounts(t)).toEqual({ ...before, threads: before.threads - 1, messages: before.messages - 2, audit_log: before.audit_log + 1 });
  });

  it('?permanent=true also erases an already soft-deleted thread; a second soft delete is 404', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    expect((await rest(t, 'DELETE', `/api/chat/threads/${threadId}`, { key: t.keys.a })).status).toBe(200);
    expectJson(await rest(t, 'DELETE', `/api/chat/threads/${threadId}`, { key: t.keys.a }), 404, { detail: `Thread ${threadId} not found` });
    const r = await rest(t, 'DELETE', `/api/chat/threads/${threadId}?permanent=true`, { key: t.keys.a });
    expect([r.status, r.body?.permanentDelete]).toEqual([200, true]);
    expect(JSON.parse((await lastAudit(t))?.details ?? '{}')).toEqual({
      permanent: true,
      wasSoftDeleted: true,
      deletedMessageCount: 1,
      cancelledStreamCount: 0,
    });
    expect(await storedThread(t, threadId)).toBeUndefined();
  });

  it('cancels a running stream of the thread', async () => {
    t = await startTestServer({ tokenIntervalMs: 20 });
    const { threadId } = await chatWithMessages(t, 0);
    const started = await rest(t, 'POST', '/v1/messages/async', { key: t.keys.a, json: { thread_id: threadId, prompt: words(300) } });
    await waitForStreamStatus(t, started.body.message_id, 'RUNNING');
    const r = await rest(t, 'DELETE', `/api/chat/threads/${threadId}`, { key: t.keys.a });
    expect([r.status, r.body?.softDelete]).toEqual([200, true]);
    expect(JSON.parse((await lastAudit(t))?.details ?? '{}')).toMatchObject({ cancelledStreamCount: 1 });
    const stream = await t.app.deps.store.db.selectFrom('streams').select('status').where('id', '=', started.body.message_id).executeTakeFirst();
    expect(stream?.status).toBe('CANCELLED');
  });

  it('422 Validation Error: {"detail":[{loc, msg, type}]} for each bad value at once, and nothing changes', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    const before = await rowCounts(t);
    expectJson(await rest(t, 'DELETE', '/api/chat/threads/not-a-thread-id', { key: t.keys.a }), 422, {
      detail: [{ loc: ['path', 'thread_id'], msg: 'must be a UUID', type: 'value_error' }],
    });
    expectJson(await rest(t, 'DELETE', `/api/chat/threads/${threadId}?permanent=yes`, { key: t.keys.a }), 422, {
      detail: [{ loc: ['query', 'permanent'], msg: 'must be true or false', type: 'value_error' }],
    });
    expectJson(await rest(t, 'DELETE', '/api/chat/threads/xyz?permanent=2&expectedVersion=0', { key: t.keys.a }), 422, {
      detail: [
        { loc: ['path', 'thread_id'], msg: 'must be a UUID', type: 'value_error' },
        { loc: ['query', 'permanent'], msg: 'must be true or false', type: 'value_error' },
        { loc: ['query', 'expectedVersion'], msg: 'must be a positive integer', type: 'value_error' },
      ],
    });
    expect(await rowCounts(t)).toEqual(before);
  });

  it("404: a thread that does not exist and another tenant's thread, in the same words; the thread stays", async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    const missing = randomUUID();
    expectJson(await rest(t, 'DELETE', `/api/chat/threads/${missing}`, { key: t.keys.a }), 404, { detail: `Thread ${missing} not found` });
    expectJson(await rest(t, 'DELETE', `/api/chat/threads/${threadId}`, { key: t.keys.b }), 404, { detail: `Thread ${threadId} not found` });
    expect((await storedThread(t, threadId))?.deleted_at).toBeNull();
  });

  it('401 without a valid key; nothing changes', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    const anon = await rest(t, 'DELETE', `/api/chat/threads/${threadId}`);
    expectJson(anon, 401, { detail: 'A valid API key is required (x-api-key or Authorization: Bearer)' });
    expectJson(await rest(t, 'DELETE', `/api/chat/threads/${threadId}`, { bearer: 'nope' }), 401, { detail: 'The API key is not valid' });
    expect((await storedThread(t, threadId))?.deleted_at).toBeNull();
  });

  it('409 on ?expectedVersion that is not the current version, with the current one; nothing changes', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    const version = (await storedThread(t, threadId))!.version;
    expectJson(await rest(t, 'DELETE', `/api/chat/threads/${threadId}?expectedVersion=${version + 5}`, { key: t.keys.a }), 409, {
      detail: `Thread is at version ${version}, not the expected ${version + 5}`,
      reason: 'VERSION_MISMATCH',
      current_version: version,
    });
    expect((await storedThread(t, threadId))?.deleted_at).toBeNull();
    expect((await rest(t, 'DELETE', `/api/chat/threads/${threadId}?expectedVersion=${version}`, { key: t.keys.a })).status).toBe(200);
  });
});
