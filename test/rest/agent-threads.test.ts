import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import { DAY_MS, UUID, breakWrites, expectJson, lastAudit, rest, rowCounts } from './rest-helpers.ts';

// Seed 004 (Azure AI agents): DELETE {endpoint}/threads/{threadId}?api-version=v1 → 200
// ThreadDeletionStatus {"id", "deleted": true, "object": "thread.deleted"}; every other status
// is an AgentV1Error {"error": {"code", "message", "param", "type"}} (docs/rest.md#seed-004-azure-agent-threads:
// an empty or unsupported api-version or any error → that shape with the fitting status). Without
// api-version the same route is OpenAI's API (test/rest/openai-sdk.test.ts).

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

const agentError = (code: string, message: unknown, param: string | null, type: string) => ({ error: { code, message, param, type } });

async function storedThread(server: TestServer, id: string) {
  return server.app.deps.store.db.selectFrom('threads').selectAll().where('id', '=', id).executeTakeFirst();
}

describe('DELETE /threads/{threadId}?api-version=v1', () => {
  it.each(['Threads_DeleteThread_MaximumSet', 'Threads_DeleteThread_MinimumSet'])(
    "%s: the page's sample request answers the sample response; the thread is soft-deleted as deleteThread does",
    async () => {
      t = await startTestServer();
      const { threadId } = await chatWithMessages(t, 2);
      // DELETE {endpoint}/threads/qslbmcfelfehrfwrnrqbpix?api-version=v1
      const r = await rest(t, 'DELETE', `/threads/${threadId}?api-version=v1`, { bearer: t.keys.a, headers: { 'x-request-id': 'req-004' } });
      expectJson(r, 200, { id: threadId, deleted: true, object: 'thread.deleted' });
      expect(r.text).toBe(JSON.stringify({ id: threadId, deleted: true, object: 'thread.deleted' }));

      const row = await storedThread(t, threadId);
      expect(row?.deleted_by).toBe('key-a');
      expect(Date.parse(row!.restore_until!) - Date.parse(row!.deleted_at!)).toBe(30 * DAY_MS);
      const audit = await lastAudit(t);
      expect({ ...audit, details: JSON.parse(audit?.details ?? 'null') }).toEqual({
        id: expect.stringMatching(UUID),
        tenant_id: expect.any(String),
        action: 'thread.delete',
        target_type: 'THREAD',
        target_id: threadId,
        actor: 'key-a',
        request_id: 'req-004',
        details: { permanent: false, wasSoftDeleted: false, deletedMessageCount: 2, cancelledStreamCount: 0 },
        at: row!.deleted_at,
        seq: expect.any(Number),
      });
    },
  );

  it('X-API-Key works as well; ?permanent=true erases at once', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 2);
    const before = await rowCounts(t);
    expectJson(await rest(t, 'DELETE', `/threads/${threadId}?api-version=v1&permanent=true`, { key: t.keys.a }), 200, {
      id: threadId,
      deleted: true,
      object: 'thread.deleted',
    });
    expect(await storedThread(t, threadId)).toBeUndefined();
    expect(await rowCounts(t)).toEqual({ ...before, threads: before.threads - 1, messages: before.messages - 2, audit_log: before.audit_log + 1 });
  });

  it('400: api-version empty or unsupported; nothing changes', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    const before = await rowCounts(t);
    const missing = agentError('missing_required_parameter', "Missing required query parameter 'api-version'.", 'api-version', 'invalid_request_error');
    expectJson(await rest(t, 'DELETE', `/threads/${threadId}?api-version=`, { bearer: t.keys.a }), 400, missing);
    expectJson(
      await rest(t, 'DELETE', `/threads/${threadId}?api-version=2025-05-15-preview`, { bearer: t.keys.a }),
      400,
      agentError(
        'unsupported_api_version',
        "API version '2025-05-15-preview' is not supported; supported: v1.",
        'api-version',
        'invalid_request_error',
      ),
    );
    expect(await rowCounts(t)).toEqual(before);
    expect((await storedThread(t, threadId))?.deleted_at).toBeNull();
  });

  it('400 for a malformed thread id or permanent flag, naming the parameter', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    const before = await rowCounts(t);
    expectJson(
      await rest(t, 'DELETE', '/threads/qslbmcfelfehrfwrnrqbpix?api-version=v1', { bearer: t.keys.a }),
      400,
      agentError('invalid_value', 'threadId must be a UUID', 'threadId', 'invalid_request_error'),
    );
    expectJson(
      await rest(t, 'DELETE', `/threads/${threadId}?api-version=v1&permanent=sure`, { bearer: t.keys.a }),
      400,
      agentError('invalid_value', 'permanent must be true or false', 'permanent', 'invalid_request_error'),
    );
    expect(await rowCounts(t)).toEqual(before);
  });

  it("404: no such thread, another tenant's thread (which stays), a thread already deleted", async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    const notFound = (id: string) => agentError('not_found', `No thread found with id '${id}'.`, 'threadId', 'invalid_request_error');
    const missing = randomUUID();
    expectJson(await rest(t, 'DELETE', `/threads/${missing}?api-version=v1`, { bearer: t.keys.a }), 404, notFound(missing));
    expectJson(await rest(t, 'DELETE', `/threads/${threadId}?api-version=v1`, { bearer: t.keys.b }), 404, notFound(threadId));
    expect((await storedThread(t, threadId))?.deleted_at).toBeNull();
    expect((await rest(t, 'DELETE', `/threads/${threadId}?api-version=v1`, { bearer: t.keys.a })).status).toBe(200);
    expectJson(await rest(t, 'DELETE', `/threads/${threadId}?api-version=v1`, { bearer: t.keys.a }), 404, notFound(threadId));
  });

  it('401 in the same error shape: no credentials or an unknown key; nothing changes', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    expectJson(
      await rest(t, 'DELETE', `/threads/${threadId}?api-version=v1`),
      401,
      agentError('unauthorized', 'A valid API key is required (x-api-key or Authorization: Bearer)', null, 'authentication_error'),
    );
    expectJson(
      await rest(t, 'DELETE', `/threads/${threadId}?api-version=v1`, { bearer: 'not-a-token' }),
      401,
      agentError('unauthorized', 'The API key is not valid', null, 'authentication_error'),
    );
    expect((await storedThread(t, threadId))?.deleted_at).toBeNull();
  });

  it('an unexpected server error is still an AgentV1Error, and changes nothing', async () => {
    t = await startTestServer();
    const { threadId } = await chatWithMessages(t, 1);
    const before = await rowCounts(t);
    await breakWrites(t, 'audit_log', 'INSERT');
    const r = await rest(t, 'DELETE', `/threads/${threadId}?api-version=v1`, { bearer: t.keys.a });
    expect(await rowCounts(t)).toEqual(before);
    expect(r.status).toBe(500);
    expect(r.contentType).toMatch(/^application\/json\b/);
    expect(Object.keys(r.body ?? {})).toEqual(['error']);
    expect(Object.keys(r.body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(r.body.error).toEqual({ code: expect.any(String), message: expect.any(String), param: null, type: expect.any(String) });
  });
});
