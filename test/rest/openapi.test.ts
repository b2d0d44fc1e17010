import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import { rest } from './rest-helpers.ts';

// GET /openapi.json: an OpenAPI 3.1 document of every REST compatibility route, with the
// statuses each route really answers, clean under Redocly's recommended rules.

let t: TestServer;
afterEach(async () => {
  await t?.close();
});

/** Every route with the statuses its seed page (and docs/rest.md) gives it. */
const ROUTES: { method: string; path: string; statuses: string[]; query?: string[] }[] = [
  { method: 'post', path: '/v1/messages/async', statuses: ['202', '401', '404', '422'] },
  { method: 'get', path: '/v1/messages/async/{message_id}/events', statuses: ['200', '401', '404', '422'] },
  { method: 'get', path: '/v1/messages/async/{message_id}/status', statuses: ['200', '401', '404', '422'] },
  { method: 'post', path: '/v1/messages/async/{message_id}/cancel', statuses: ['200', '401', '404', '422'] },
  { method: 'delete', path: '/v1/messages/async/{message_id}/delete', statuses: ['204', '401', '404', '409', '422'] },
  { method: 'get', path: '/api/v1/chats/{chat_id}', statuses: ['200', '401', '404'] },
  { method: 'delete', path: '/api/v1/chats/{chat_id}', statuses: ['200', '401', '404', '409'], query: ['force'] },
  { method: 'get', path: '/api/v1/chats/{chat_id}/export', statuses: ['200', '401', '403', '404', '422'] },
  { method: 'delete', path: '/api/chat/threads/{thread_id}', statuses: ['200', '404', '409', '422'], query: ['permanent'] },
  {
    method: 'delete',
    path: '/api/v1/chatmessage/{id}',
    statuses: ['200', '400', '401', '404', '409', '412'],
    query: ['chatId', 'memoryType', 'sessionId', 'chatType', 'startDate', 'endDate', 'feedbackType', 'hardDelete', 'isClearFromViewMessageDialog'],
  },
  { method: 'get', path: '/threads/{threadId}', statuses: ['200', '400', '401', '404'], query: ['api-version'] },
  { method: 'delete', path: '/threads/{threadId}', statuses: ['200', '400', '401', '404', '409'], query: ['api-version', 'permanent'] },
  {
    method: 'delete',
    path: '/threads/{threadId}/messages/{messageId}',
    statuses: ['200', '400', '401', '404', '409'],
    query: ['api-version', 'hardDelete'],
  },
  { method: 'post', path: '/conversations', statuses: ['200', '400', '401'] },
  { method: 'get', path: '/conversations/{conversation_id}', statuses: ['200', '400', '401', '404'] },
  { method: 'delete', path: '/conversations/{conversation_id}', statuses: ['200', '400', '401', '404', '409'], query: ['permanent'] },
  { method: 'get', path: '/conversations/{conversation_id}/items', statuses: ['200', '400', '401', '404'], query: ['limit', 'order', 'after'] },
  { method: 'post', path: '/conversations/{conversation_id}/items', statuses: ['200', '400', '401', '404'] },
  { method: 'get', path: '/conversations/{conversation_id}/items/{item_id}', statuses: ['200', '400', '401', '404'] },
  {
    method: 'delete',
    path: '/conversations/{conversation_id}/items/{item_id}',
    statuses: ['200', '400', '401', '404', '409'],
    query: ['hardDelete'],
  },
];

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 JSON document listing exactly the REST routes', async () => {
    t = await startTestServer();
    const r = await rest(t, 'GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^application\/json\b/);
    const doc = r.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({
      title: expect.any(String),
      version: expect.any(String),
      description: expect.any(String),
      license: { name: 'MIT', identifier: 'MIT' },
    });
    expect(doc.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(listed).toEqual(ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort());
    // Both ways to authenticate are declared.
    expect(doc.components.securitySchemes).toEqual({
      apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      bearer: { type: 'http', scheme: 'bearer' },
    });
  });

  it.each(ROUTES)('$method $path declares its path and query parameters and the statuses it answers', async (route) => {
    t = await startTestServer();
    const doc = (await rest(t, 'GET', '/openapi.json')).body;
    const op = doc.paths[route.path]?.[route.method];
    expect(op, `${route.method} ${route.path}`).toBeDefined();
    expect(op.operationId).toEqual(expect.any(String));
    const params = (op.parameters ?? []) as { name: string; in: string; required?: boolean }[];
    const pathNames = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    expect(params.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(pathNames);
    for (const p of params.filter((p) => p.in === 'path')) expect(p.required).toBe(true);
    const queryNames = params.filter((p) => p.in === 'query').map((p) => p.name);
    for (const name of route.query ?? []) expect(queryNames).toContain(name);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(route.statuses));
    for (const response of Object.values(op.responses) as { description?: string }[]) {
      expect(response.description).toEqual(expect.any(String));
    }
  });

  it('operation ids are unique; api-version is optional on /threads (without it the route is OpenAI\'s) and lists v1', async () => {
    t = await startTestServer();
    const doc = (await rest(t, 'GET', '/openapi.json')).body;
    const ids = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((ops) =>
      Object.values(ops).map((o) => o.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
    const apiVersion = doc.paths['/threads/{threadId}'].delete.parameters.find((p: { name: string }) => p.name === 'api-version');
    expect(apiVersion).toMatchObject({ in: 'query', required: false, schema: { enum: ['v1'] } });
  });

  it("passes Redocly's recommended ruleset with no error and no warning", async () => {
    t = await startTestServer();
    const r = await rest(t, 'GET', '/openapi.json');
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: r.text, absoluteRef: 'openapi.json', config });
    const found = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
    expect(found).toEqual([]);
  });

  it('the lint can fail: a document without servers is an error', async () => {
    t = await startTestServer();
    const { servers: _servers, ...withoutServers } = (await rest(t, 'GET', '/openapi.json')).body;
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(withoutServers), absoluteRef: 'openapi.json', config });
    expect(problems.map((p) => `${p.severity} ${p.ruleId}`)).toContain('error no-empty-servers');
  });
});
