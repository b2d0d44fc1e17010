import { sql } from 'kysely';
import { afterEach, expect, it } from 'vitest';
import { createApiKey } from '../../src/domain/api-keys.ts';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';

// The operator's endpoints: /healthz, /readyz and /metrics need no API key.

let t: TestApp;
afterEach(async () => t.close());

const get = async (path: string) => {
  const r = await t.app.gateway.fetch(`http://gateway.test${path}`);
  return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
};

it('/healthz answers while the process is up', async () => {
  t = await startTestApp();
  expect(await get('/healthz')).toEqual({ status: 200, type: 'application/json; charset=utf-8', text: '{"status":"ok"}' });
});

it('/readyz is ready with the database reachable and migrated, and 503 once the database is gone', async () => {
  t = await startTestApp();
  const ready = await get('/readyz');
  expect(ready.status).toBe(200);
  expect(JSON.parse(ready.text)).toEqual({ status: 'ready', checks: { database: true, migrations: true } });
  await t.app.deps.store.close();
  const gone = await get('/readyz');
  expect(gone.status).toBe(503);
  expect(JSON.parse(gone.text)).toEqual({ status: 'unavailable', checks: { database: false, migrations: false } });
});

it('/readyz is 503 while a migration is missing', async () => {
  t = await startTestApp();
  await sql`delete from kysely_migration where name = '2026-11-24-0004-api-key-scopes'`.execute(t.app.deps.store.db);
  const r = await get('/readyz');
  expect(r.status).toBe(503);
  expect(JSON.parse(r.text).checks).toEqual({ database: true, migrations: false });
});

it('/metrics counts the rows a delete removed, and GraphQL requests', async () => {
  t = await startTestApp();
  const { chatId } = await chatWithMessages(t, 3);
  const before = await get('/metrics');
  expect(before.status).toBe(200);
  expect(before.text).not.toMatch(/chat_gateway_deleted_rows_total\{kind="message"\}/);
  await t.gql(`mutation($id: ID!) { deleteChat(id: $id) { __typename } }`, { id: chatId });
  const after = (await get('/metrics')).text;
  expect(after).toMatch(/chat_gateway_deleted_rows_total\{kind="message"\} 3\b/);
  expect(after).toMatch(/chat_gateway_deleted_rows_total\{kind="chat"\} 1\b/);
  expect(after).toMatch(/chat_gateway_deleted_rows_total\{kind="thread"\} 1\b/);
  expect(after).toMatch(/chat_gateway_erasure_queue_jobs 0\b/);
  const mutations = (text: string) =>
    Number(/graphql_yoga_http_duration_count\{(?=[^}]*operationType="mutation")(?=[^}]*statusCode="200")[^}]*\} (\d+)/.exec(text)?.[1]);
  expect(mutations(after)).toBe(mutations(before.text) + 1);
  // No label holds the URL, which for a GET holds the whole query: one series per request.
  expect(after).not.toMatch(/graphql_yoga_http_duration_count\{[^}]*url=/);
});

it('/metrics counts errors by phase, with the operation and, for a field, its path', async () => {
  t = await startTestApp();
  const errors = async () =>
    [...(await get('/metrics')).text.matchAll(/^graphql_envelop_error_result\{([^}]*)\} (\d+)$/gm)].map((m) => ({
      ...Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]])),
      count: Number(m[2]),
    }));
  expect(await errors()).toEqual([]);
  const reader = await createApiKey(t.app.deps.store.db, { tenant: 'tenant-a', name: 'reader', permissions: ['read'] }, new Date().toISOString());
  await t.gql('{ chat(id: ');
  await t.gql('query Wrong { nope }');
  await t.gql('query NoKey { __typename }', undefined, { key: null });
  await t.gql('mutation Write { createFlow(input: { name: "w", type: CHATFLOW }) { __typename } }', undefined, { key: reader.key });
  await t.gql('mutation Write { createFlow(input: { name: "w", type: CHATFLOW }) { __typename } }', undefined, { key: reader.key });
  expect(await errors()).toEqual([
    { phase: 'parse', operationName: 'Anonymous', operationType: 'unknown', count: 1 },
    { phase: 'validate', operationName: 'Wrong', operationType: 'query', count: 1 },
    { phase: 'context', operationName: 'NoKey', operationType: 'query', count: 1 },
    { phase: 'execute', operationName: 'Write', operationType: 'mutation', path: 'createFlow', count: 2 },
  ]);
});
