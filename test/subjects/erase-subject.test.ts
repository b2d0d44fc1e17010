import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { startReceiver } from '../erasure/webhook-receiver.ts';

// eraseSubject(sessionId), as a data-protection officer uses it: every message of that
// session in every flow of the tenant, soft-deleted threads included, nothing of others.

const SECRET = 'whsec_erase_subject_secret_0';
const ERASE = `mutation($s: String!, $dry: Boolean) {
  eraseSubject(sessionId: $s, dryRun: $dry) {
    __typename
    ... on EraseSubjectSuccess { sessionId dryRun affected flowCount auditEntry { action targetType targetId actor details } receipt { id action status counts copies { targetId status } } }
    ... on ConflictError { reason holdIds message }
    ... on ValidationError { fieldErrors { path message } }
  }
}`;

let t: TestApp;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeEach(async () => {
  receiver = await startReceiver(SECRET);
  t = await startTestApp({ config: { erasureTargetHosts: ['127.0.0.1'] } });
});
afterEach(async () => {
  await t.close();
  await receiver.stop();
});

async function messagesOf(sessionId: string | null): Promise<string[]> {
  const q = t.app.deps.store.db.selectFrom('messages').select('id').orderBy('id');
  return (await (sessionId === null ? q.where('session_id', 'is', null) : q.where('session_id', '=', sessionId)).execute()).map((r) => r.id);
}

/** Two flows with the subject's messages (one in a soft-deleted thread), others' beside them, and B's with the same session id. */
async function world() {
  const f1 = await createFlow(t, 'support');
  const f2 = await createFlow(t, 'sales');
  const idle = await createFlow(t, 'no subject here');
  const c1 = await createChat(t, f1);
  const c2 = await createChat(t, f2);
  const t1 = await createThread(t, c1);
  const t2 = await createThread(t, c2);
  const gone = await createThread(t, c2, 'soft-deleted');
  const subject = [
    await postMessage(t, t1, { sessionId: 'user-42', content: 'my address is 1 Main St' }),
    await postMessage(t, t2, { sessionId: 'user-42', content: 'and my phone' }),
    await postMessage(t, gone, { sessionId: 'user-42', content: 'in a deleted thread' }),
  ];
  const others = [await postMessage(t, t1, { sessionId: 'user-7' }), await postMessage(t, t2, {})];
  await postMessage(t, await createThread(t, await createChat(t, idle)), { sessionId: 'user-8' });
  const deleted = await t.gql(`mutation($id: ID!) { deleteThread(id: $id) { __typename } }`, { id: gone });
  expect(deleted.body.data.deleteThread.__typename).toBe('DeleteThreadSuccess');
  const ofB = await postMessage(t, await createThread(t, await createChat(t, await createFlow(t, 'B', t.keys.b), 'B', t.keys.b), 'B', t.keys.b), { sessionId: 'user-42' }, t.keys.b);
  return { f1, f2, c1, subject, others, ofB };
}

describe('eraseSubject', () => {
  it('erases the session’s messages in every flow, soft-deleted threads included, and nothing else; one audit entry, one receipt', async () => {
    const { f1, f2, subject, others, ofB } = await world();
    const before = await messagesOf('user-42');
    expect(before).toHaveLength(4); // tenant B's too

    const dry = (await t.gql(ERASE, { s: 'user-42', dry: true })).body.data.eraseSubject;
    expect(dry).toEqual({ __typename: 'EraseSubjectSuccess', sessionId: 'user-42', dryRun: true, affected: 3, flowCount: 2, auditEntry: null, receipt: null });
    expect(await messagesOf('user-42')).toEqual(before);

    const erased = (await t.gql(ERASE, { s: 'user-42' })).body.data.eraseSubject;
    expect(erased).toMatchObject({ __typename: 'EraseSubjectSuccess', sessionId: 'user-42', dryRun: false, affected: 3, flowCount: 2 });
    expect(erased.auditEntry).toMatchObject({ action: 'subject.erase', targetType: 'MESSAGE', targetId: 'user-42', actor: expect.any(String) });
    expect([...erased.auditEntry.details.flowIds].sort()).toEqual([f1, f2].sort());
    expect(erased.receipt).toMatchObject({ action: 'subject.erase', status: 'COMPLETE', counts: { messages: 3 }, copies: [] });
    // Only B's message of that session id is left; the others' are all there.
    expect(await messagesOf('user-42')).toEqual([ofB]);
    for (const id of [...subject]) expect(await messagesOf('user-42')).not.toContain(id);
    const stillThere = (await t.app.deps.store.db.selectFrom('messages').select('id').where('id', 'in', others).execute()).map((r) => r.id);
    expect(stillThere.sort()).toEqual([...others].sort());
    const audits = await t.app.deps.store.db.selectFrom('audit_log').select('action').where('action', '=', 'subject.erase').execute();
    expect(audits).toHaveLength(1);
  });

  it('reaches the erasure targets of every flow it erased in, under its one receipt', async () => {
    const { f1, f2 } = await world();
    for (const flowId of [f1, f2]) {
      const { body } = await t.gql(`mutation($input: AddErasureTargetInput!) { addErasureTarget(input: $input) { __typename } }`, {
        input: { flowId, kind: 'WEBHOOK', name: `hook of ${flowId}`, url: receiver.url, secret: SECRET },
      });
      expect(body.data.addErasureTarget.__typename).toBe('AddErasureTargetSuccess');
    }
    const erased = (await t.gql(ERASE, { s: 'user-42' })).body.data.eraseSubject;
    expect(erased.receipt.copies).toHaveLength(2);
    await t.app.deps.outbox.idle();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received.every((r) => r.signatureValid && r.body.receiptId === erased.receipt.id)).toBe(true);
    expect(receiver.received.map((r) => r.body.flowId).sort()).toEqual([f1, f2].sort());
    for (const r of receiver.received) expect(r.body.sessionIds).toEqual(['user-42']);
    const done = (await t.gql(`query($id: ID!) { erasureReceipt(id: $id) { status } }`, { id: erased.receipt.id })).body.data.erasureReceipt;
    expect(done.status).toBe('COMPLETE');
  });

  it('a legal hold on the session, or on a chat holding its messages, refuses it and changes nothing', async () => {
    const { c1 } = await world();
    const place = async (scope: string, targetId: string) =>
      (
        await t.gql(`mutation($input: PlaceLegalHoldInput!) { placeLegalHold(input: $input) { ... on PlaceLegalHoldSuccess { hold { id } } } }`, {
          input: { scope, targetId, reason: 'case 17' },
        })
      ).body.data.placeLegalHold.hold.id as string;
    const release = (id: string) => t.gql(`mutation($id: ID!) { releaseLegalHold(id: $id) { __typename } }`, { id });
    const before = await messagesOf('user-42');
    for (const [scope, target] of [
      ['SESSION', 'user-42'],
      ['CHAT', c1],
    ] as const) {
      const hold = await place(scope, target);
      for (const dry of [true, false]) {
        const refused = (await t.gql(ERASE, { s: 'user-42', dry })).body.data.eraseSubject;
        expect(refused).toMatchObject({ __typename: 'ConflictError', reason: 'LEGAL_HOLD', holdIds: [hold] });
      }
      expect(await messagesOf('user-42')).toEqual(before);
      await release(hold);
    }
    // A hold on another session does not stand in the way.
    await place('SESSION', 'user-7');
    expect((await t.gql(ERASE, { s: 'user-42' })).body.data.eraseSubject.affected).toBe(3);
  });

  it('a session with no message answers 0; an empty or NUL-bearing session id is a ValidationError', async () => {
    expect((await t.gql(ERASE, { s: 'nobody' })).body.data.eraseSubject).toMatchObject({ __typename: 'EraseSubjectSuccess', affected: 0, flowCount: 0 });
    for (const s of ['', '  ', 'a\u0000b']) {
      const bad = (await t.gql(ERASE, { s })).body.data.eraseSubject;
      expect(bad.__typename).toBe('ValidationError');
      expect(bad.fieldErrors[0].path).toEqual(['sessionId']);
    }
  });
});
