import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';

let t: TestApp;
afterEach(async () => t.close());

const DELETE_CHAT = `mutation DeleteIt($id: ID!) { deleteChat(id: $id) { __typename ... on DeleteChatSuccess { auditEntry { requestId } } } }`;

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

it("echoes the caller's x-request-id, records it in the audit entry and logs it with tenant, operation and duration", async () => {
  const log = capture();
  t = await startTestApp({ logger: log.logger });
  const { chatId } = await chatWithMessages(t, 1);
  const r = await t.gql(DELETE_CHAT, { id: chatId }, { headers: { 'x-request-id': 'req-42' } });
  expect(r.headers.get('x-request-id')).toBe('req-42');
  expect(r.body.data.deleteChat.auditEntry.requestId).toBe('req-42');
  const line = log.lines.find((l) => l.requestId === 'req-42' && l.msg === 'graphql operation');
  // The delete's receipt is logged under the same request id.
  expect(log.lines.find((l) => l.requestId === 'req-42' && l.msg === 'erasure receipt')).toMatchObject({ action: 'chat.delete' });
  expect(line).toMatchObject({ msg: 'graphql operation', operation: 'DeleteIt', kind: 'mutation', actor: 'key-a' });
  expect(typeof line?.durationMs).toBe('number');
  expect(typeof line?.tenant).toBe('string');
  expect(JSON.stringify(log.lines)).not.toContain(t.keys.a);
});

it('gives a request without one a fresh id, the same in the header and the audit entry', async () => {
  t = await startTestApp();
  const { chatId } = await chatWithMessages(t, 1);
  const r = await t.gql(DELETE_CHAT, { id: chatId });
  const id = r.headers.get('x-request-id');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  expect(r.body.data.deleteChat.auditEntry.requestId).toBe(id);
});

it('logs an unexpected failure with the request id, while the client sees only a masked error', async () => {
  const log = capture();
  t = await startTestApp({ logger: log.logger });
  const { chatId } = await chatWithMessages(t, 1);
  // The audit insert fails at the end of the delete: a fault, not the client's mistake.
  await t.app.deps.store.db.schema.dropTable('audit_log').execute();
  const r = await t.gql(DELETE_CHAT, { id: chatId }, { headers: { 'x-request-id': 'req-boom' } });
  expect(r.body.errors?.[0]?.message).toBe('Unexpected error.');
  expect(JSON.stringify(r.body)).not.toMatch(/audit_log|SQLITE|relation/i);
  const line = log.lines.find((l) => l.msg === 'unexpected error');
  expect(line).toMatchObject({ requestId: 'req-boom', path: ['deleteChat'] });
  expect(JSON.stringify(line)).toMatch(/audit_log/);
});
