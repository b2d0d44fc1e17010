import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { claimIdempotencyKey } from '../../src/domain/idempotency.ts';
import { findTenantByName } from '../../src/data/tenants.repository.ts';
import { fingerprintOf } from '../../src/http/idempotency.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import { rest } from './rest-helpers.ts';

// Every failure of a REST route, also those refused before its handler runs (method, body
// size, rate limit, Idempotency-Key), answers in the route's own seed API's shape.

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

type Family = 'fastapi' | 'flowise' | 'agents';

/** One write route of each family, and a method none of its paths serve. */
const ROUTES: { family: Family; method: string; route: string; path: () => string; json?: () => unknown }[] = [
  { family: 'fastapi', method: 'POST', route: '/v1/messages/async', path: () => '/v1/messages/async', json: () => ({ thread_id: randomUUID(), prompt: 'hi' }) },
  { family: 'fastapi', method: 'DELETE', route: '/api/v1/chats/{chat_id}', path: () => `/api/v1/chats/${randomUUID()}` },
  { family: 'fastapi', method: 'DELETE', route: '/api/chat/threads/{thread_id}', path: () => `/api/chat/threads/${randomUUID()}` },
  { family: 'flowise', method: 'DELETE', route: '/api/v1/chatmessage/{id}', path: () => `/api/v1/chatmessage/${randomUUID()}` },
  { family: 'agents', method: 'DELETE', route: '/threads/{threadId}', path: () => `/threads/${randomUUID()}?api-version=v1` },
];

/** The exact body each family answers for a refusal with this status, code and message. */
function shaped(family: Family, status: number, code: string, message: string): unknown {
  switch (family) {
    case 'fastapi':
      return { detail: message, code };
    case 'flowise':
      return { statusCode: status, success: false, message };
    case 'agents':
      return { error: { code: code.toLowerCase(), message, param: null, type: status === 429 ? 'rate_limit_error' : 'invalid_request_error' } };
  }
}

function expectRefusal(r: { status: number; body: unknown; contentType: string | null }, family: Family, status: number, code: string, message: string) {
  expect({ status: r.status, body: r.body }).toEqual({ status, body: shaped(family, status, code, message) });
  expect(r.contentType ?? '').toMatch(/^application\/json\b/);
}

describe.each(ROUTES)('$family: $method $route', ({ family, method, path, json: body = () => undefined }) => {
  it('405 for a method the path does not serve, with Allow', async () => {
    t = await startTestServer();
    const r = await rest(t, 'PATCH', path(), { key: t.keys.a });
    expectRefusal(r, family, 405, 'METHOD_NOT_ALLOWED', 'Method Not Allowed');
    expect(r.headers.get('allow')).toBeTruthy();
  });

  it('400 for a malformed Idempotency-Key', async () => {
    t = await startTestServer();
    const r = await rest(t, method, path(), { key: t.keys.a, json: body(), headers: { 'idempotency-key': 'has spaces' } });
    expectRefusal(r, family, 400, 'BAD_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1 to 255 printable ASCII characters');
  });

  it('422 for a key reused for another request, 409 while its first request runs', async () => {
    t = await startTestServer();
    const first = path();
    await rest(t, method, first, { key: t.keys.a, json: body(), headers: { 'idempotency-key': 'k-1' } });
    const reused = await rest(t, method, path(), { key: t.keys.a, json: body(), headers: { 'idempotency-key': 'k-1' } });
    expectRefusal(reused, family, 422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request');

    // A first request still running holds its claim without an answer.
    const running = path();
    const json = body();
    const tenant = await findTenantByName(t.app.deps.store.db, 'tenant-a');
    const fingerprint = fingerprintOf(method, running, json === undefined ? '' : JSON.stringify(json));
    await claimIdempotencyKey(t.app.deps, { tenantId: tenant!.id, requestId: 'the first request' }, 'k-2', fingerprint);
    const twin = await rest(t, method, running, { key: t.keys.a, json, headers: { 'idempotency-key': 'k-2' } });
    expectRefusal(twin, family, 409, 'IDEMPOTENCY_KEY_IN_PROGRESS', 'A request with this Idempotency-Key is still running');
  });

  it('429 once the key has used its writes, with Retry-After', async () => {
    t = await startTestServer({ limits: { writesPerMinute: 1 } });
    await rest(t, method, path(), { key: t.keys.a, json: body() });
    const r = await rest(t, method, path(), { key: t.keys.a, json: body() });
    expectRefusal(r, family, 429, 'RATE_LIMITED', 'Too many writes with this API key; retry in 60 s');
    expect(r.headers.get('retry-after')).toBe('60');
  });

  it('413 for a body over the limit', async () => {
    t = await startTestServer({ limits: { maxBodyBytes: 100 } });
    const r = await rest(t, method, path(), { key: t.keys.a, json: { padding: 'x'.repeat(200) } });
    expectRefusal(r, family, 413, 'PAYLOAD_TOO_LARGE', 'The request body is larger than 100 bytes');
  });
});
