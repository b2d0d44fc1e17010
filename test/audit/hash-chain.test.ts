import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/data/open-database.ts';
import { chatWithMessages, createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { deleteMessages, deleteThread, restoreThread, run, waitUntil } from '../graphql/documents.ts';
import { CHAINED_LOG, chainRows, deleteChatChained, expectIntactChain, insertUnsealed, recomputedHash, storedRows, tenantIdOf } from './chain.ts';

// docs/design.md "Audit log": each tenant's entries form one hash chain, sealed after commit.

const HEX64 = /^[0-9a-f]{64}$/;

let t: TestApp;
afterEach(async () => t.close());

/** The tenant's log as served, oldest first. */
async function servedChain(key?: string): Promise<{ id: string; action: string; hash: string; previousHash: string | null }[]> {
  const conn = await run(t, CHAINED_LOG, {}, 'auditLog', { key });
  return conn.edges.map((e: any) => e.node).reverse();
}

describe('the audit log is a hash chain per tenant', () => {
  beforeEach(async () => {
    t = await startTestApp();
  });

  it('each entry links to the one before it, the first to none, and every hash recomputes from the documented canonical form', async () => {
    // One of each kind of audited write; on PostgreSQL the small chat's delete is its one-statement path.
    const small = await chatWithMessages(t, 2);
    await deleteChatChained(t, small.chatId);
    const flowId = await createFlow(t);
    const chatId = await createChat(t, flowId);
    const soft = await createThread(t, chatId);
    await postMessage(t, soft, { content: 'kept for a while' });
    expect((await deleteThread(t, { id: soft })).__typename).toBe('DeleteThreadSuccess');
    expect((await restoreThread(t, soft)).__typename).toBe('RestoreThreadSuccess');
    expect((await deleteThread(t, { id: soft, permanent: true })).__typename).toBe('DeleteThreadSuccess');
    const other = await createThread(t, chatId);
    await postMessage(t, other, { content: 'gone' });
    expect((await deleteMessages(t, { flowId, hardDelete: true })).__typename).toBe('DeleteMessagesSuccess');

    const served = await servedChain();
    expect(served.map((e) => e.action)).toEqual(['chat.delete', 'thread.delete', 'thread.restore', 'thread.delete', 'messages.delete']);
    expect(served[0]!.previousHash).toBeNull();
    for (let i = 1; i < served.length; i++) expect(served[i]!.previousHash).toBe(served[i - 1]!.hash);
    for (const entry of served) expect(entry.hash).toMatch(HEX64);
    expect(new Set(served.map((e) => e.hash)).size).toBe(served.length);

    const stored = await chainRows(t, 'tenant-a');
    expect(stored.map((r) => r.id)).toEqual(served.map((e) => e.id));
    expect(stored.map((r) => r.chain_index)).toEqual([1, 2, 3, 4, 5]);
    for (const [i, row] of stored.entries()) {
      expect(recomputedHash(row)).toBe(row.hash);
      expect(row.hash).toBe(served[i]!.hash);
    }
  });

  it("a delete's answer carries its entry's hash at once, linked to the entry before it", async () => {
    const first = await chatWithMessages(t, 1);
    const second = await chatWithMessages(t, 1);
    const a = await deleteChatChained(t, first.chatId);
    const b = await deleteChatChained(t, second.chatId);
    expect(a.auditEntry.hash).toMatch(HEX64);
    expect(a.auditEntry.previousHash).toBeNull();
    expect(b.auditEntry.hash).toMatch(HEX64);
    expect(b.auditEntry.previousHash).toBe(a.auditEntry.hash);
    const stored = await chainRows(t, 'tenant-a');
    expect(stored.map((r) => [r.id, r.hash])).toEqual([
      [a.auditEntry.id, a.auditEntry.hash],
      [b.auditEntry.id, b.auditEntry.hash],
    ]);
  });

  it("tenant B's chain is its own: it starts at null and at chain index 1, whatever tenant A wrote", async () => {
    for (let i = 0; i < 3; i++) {
      await deleteChatChained(t, (await chatWithMessages(t, 1)).chatId);
      if (i > 0) await deleteChatChained(t, (await chatWithMessages(t, 1, t.keys.b)).chatId, t.keys.b);
    }
    const a = await servedChain();
    const b = await servedChain(t.keys.b);
    expect([a.length, b.length]).toEqual([3, 2]);
    for (const chain of [a, b]) {
      expect(chain[0]!.previousHash).toBeNull();
      for (let i = 1; i < chain.length; i++) expect(chain[i]!.previousHash).toBe(chain[i - 1]!.hash);
    }
    expect(a.map((e) => e.hash).filter((h) => b.some((e) => e.hash === h))).toEqual([]);
    const rowsB = await chainRows(t, 'tenant-b');
    expect(rowsB.map((r) => r.chain_index)).toEqual([1, 2]);
    expect(new Set(rowsB.map((r) => r.tenant_id))).toEqual(new Set([await tenantIdOf(t, 'tenant-b')]));
    expectIntactChain(rowsB);
    expectIntactChain(await chainRows(t, 'tenant-a'));
  });

  it('entries left unsealed (as the migration leaves every older entry) are chained by the first sealing, in the order written, batch after batch', async () => {
    const ids = await insertUnsealed(t, 'tenant-a', 1203);
    expect((await storedRows(t, 'tenant-a')).every((r) => r.hash === null)).toBe(true);

    const newest = (await run(t, `{ auditLog(first: 1) { edges { node { id hash previousHash } } } }`, {}, 'auditLog')).edges[0].node;
    expect(newest.id).toBe(ids.at(-1));
    const chain = await chainRows(t, 'tenant-a');
    expect(chain.map((r) => r.id)).toEqual(ids);
    expectIntactChain(chain);
    expect(newest.hash).toBe(chain.at(-1)!.hash);
    expect(newest.previousHash).toBe(chain.at(-2)!.hash);
  });

  it('concurrent sealings of one tenant in one process coalesce: one runs, one more waits, the rest share it', async () => {
    const tenantId = await tenantIdOf(t, 'tenant-a');
    for (let i = 0; i < 3; i++) await deleteChatUnsealed(t);
    t.queries.length = 0;
    await Promise.all(Array.from({ length: 10 }, () => t.app.deps.auditChain.seal(tenantId)));
    const looks = t.queries.filter((q) => /from "audit_log" where "tenant_id" = \S+ and "hash" is null/.test(q));
    const locks = t.queries.filter((q) => /insert into "audit_chain_heads"/.test(q));
    // The first run's look (and its batch's), the queued run's look; nothing more.
    expect(looks).toHaveLength(3);
    expect(locks).toHaveLength(1);
    expectIntactChain(await chainRows(t, 'tenant-a'));
    expect(await chainRows(t, 'tenant-a')).toHaveLength(3);
  });
});

/** An audited delete whose answer does not ask for the hash: its entry stays unsealed. */
async function deleteChatUnsealed(t: TestApp): Promise<void> {
  const { chatId } = await chatWithMessages(t, 1);
  const r = await run(t, `mutation($id: ID!) { deleteChat(id: $id) { __typename } }`, { id: chatId }, 'deleteChat');
  expect(r.__typename).toBe('DeleteChatSuccess');
}

describe('when sealing happens without a read', () => {
  it('the timer seals new entries every AUDIT_SEAL_INTERVAL_MS', async () => {
    t = await startTestApp({ sealTimer: true, config: { auditSealIntervalMs: 100 } });
    await deleteChatUnsealed(t);
    await deleteChatUnsealed(t);
    const rows = await waitUntil(() => storedRows(t, 'tenant-a'), (r) => r.length === 2 && r.every((row) => row.hash !== null), 'the timer to seal both entries');
    expectIntactChain(rows);
  });

  it('closing the app seals what is left, so the entries leave sealed', async () => {
    t = await startTestApp();
    await deleteChatUnsealed(t);
    await deleteChatUnsealed(t);
    expect((await storedRows(t, 'tenant-a')).map((r) => r.hash)).toEqual([null, null]);
    await t.app.close();
    const store = openDatabase(t.dbPath);
    try {
      const rows = await store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
      expect(rows.map((r) => r.chain_index)).toEqual([1, 2]);
      expectIntactChain(rows);
    } finally {
      await store.close();
    }
  });
});
