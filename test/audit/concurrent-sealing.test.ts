import { afterEach, beforeEach, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ENGINE } from '../helpers/database.ts';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { type ChainedAnswer, chainRows, deleteChatChained, deleteChatChainedOn, expectIntactChain, insertUnsealed, verifyAudit } from './chain.ts';

// Deletes of one tenant run in parallel and are sealed after commit; sealers (in one
// process, or replicas on one PostgreSQL database) take turns on the tenant's chain head,
// so the chain never forks however they interleave.

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

/** Every answer's entry is in one chain: each previousHash is another answer's hash (or null, once), none twice. */
function expectOneLinkedList(answers: ChainedAnswer[]): void {
  const hashes = new Set(answers.map((a) => a.auditEntry.hash));
  expect(hashes.size).toBe(answers.length);
  const links = answers.map((a) => a.auditEntry.previousHash);
  expect(new Set(links).size).toBe(answers.length);
  expect(links.filter((l) => l === null)).toHaveLength(1);
  for (const link of links) if (link !== null) expect(hashes.has(link)).toBe(true);
}

async function chats(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await chatWithMessages(t, 1)).chatId);
  return ids;
}

it(`40 concurrent deletes of one tenant give one contiguous, valid chain (${ENGINE})`, async () => {
  const ids = await chats(40);
  const answers = await Promise.all(ids.map((id) => deleteChatChained(t, id)));
  expectOneLinkedList(answers);
  const rows = await chainRows(t, 'tenant-a');
  expect(rows.map((r) => r.chain_index)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expectIntactChain(rows);
  expect(verifyAudit(t).stdout).toBe('audit log intact: 40 entries in 2 tenants checked; 0 not sealed yet\n');
}, 60_000);

it.skipIf(ENGINE !== 'postgres')('two apps on one PostgreSQL schema, sealing at once on their timers, sweeps and reads, never fork the chain', async () => {
  const config = { ...loadConfig({}), databaseUrl: t.dbPath, auditSealIntervalMs: 100 };
  const replicas: App[] = [await createApp(config, { purgeTimer: false }), await createApp(config, { purgeTimer: false })];
  try {
    // Enough unsealed entries for several batches each, so both replicas' sealings overlap.
    await insertUnsealed(t, 'tenant-a', 3000);
    const ids = await chats(40);
    const [answers] = await Promise.all([
      Promise.all(ids.map((id, i) => deleteChatChainedOn(replicas[i % 2]!, t.keys.a, id))),
      ...replicas.flatMap((r) => [r.deps.auditChain.sealAll(), r.deps.auditChain.sealAll()]),
    ]);
    const rows = await chainRows(t, 'tenant-a');
    expect(rows.map((r) => r.chain_index)).toEqual(Array.from({ length: 3040 }, (_, i) => i + 1));
    expectIntactChain(rows);
    const sealed = new Map(rows.map((r) => [r.id, r]));
    for (const { auditEntry } of answers!) {
      expect(sealed.get(auditEntry.id)?.hash).toBe(auditEntry.hash);
      expect(sealed.get(auditEntry.id)?.previous_hash).toBe(auditEntry.previousHash);
    }
    expect(verifyAudit(t).stdout).toBe('audit log intact: 3040 entries in 2 tenants checked; 0 not sealed yet\n');
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
  }
}, 60_000);
