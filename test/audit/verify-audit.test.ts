import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chatWithMessages } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { run } from '../graphql/documents.ts';
import { type ChainRow, chainRows, deleteChatChained, recomputedHash, storedRows, verifyAudit } from './chain.ts';

// `chat-gateway verify-audit`, run as a real process on the test app's database: it names
// the first break of each chain and exits 1, or prints one "intact" line and exits 0.

let t: TestApp;
/** Tenant A's five sealed entries, in chain order. */
let chain: ChainRow[];

beforeEach(async () => {
  t = await startTestApp();
  for (let i = 0; i < 5; i++) await deleteChatChained(t, (await chatWithMessages(t, 1)).chatId);
  await deleteChatChained(t, (await chatWithMessages(t, 1, t.keys.b)).chatId, t.keys.b);
  chain = await chainRows(t, 'tenant-a');
  expect(chain.map((r) => r.chain_index)).toEqual([1, 2, 3, 4, 5]);
});
afterEach(async () => t.close());

const db = () => t.app.deps.store.db;
const where = (row: ChainRow) => `tenant "tenant-a", entry ${row.id} (seq ${row.seq}, chain index ${row.chain_index})`;

/** The one break line verify-audit printed, and its summary line. */
function broken(r: ReturnType<typeof verifyAudit>): { line: string; summary: string } {
  expect(r.status, r.stderr).toBe(1);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(/^audit log broken in 1 tenant: \d+ entr(y|ies) in 2 tenants checked; \d+ not sealed yet$/);
  return { line: lines[0]!, summary: lines[1]! };
}

// Each run starts a process (tsx compiles the CLI): seconds each on a busy machine.
describe('chat-gateway verify-audit', { timeout: 60_000 }, () => {
  it('exits 0 with one "intact" line on an intact log', () => {
    const r = verifyAudit(t);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('audit log intact: 6 entries in 2 tenants checked; 0 not sealed yet\n');
  });

  it('counts entries not sealed yet without failing, and leaves them unsealed', async () => {
    const { chatId } = await chatWithMessages(t, 1);
    await run(t, `mutation($id: ID!) { deleteChat(id: $id) { __typename } }`, { id: chatId }, 'deleteChat');
    const r = verifyAudit(t);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('audit log intact: 6 entries in 2 tenants checked; 1 not sealed yet\n');
    expect((await storedRows(t, 'tenant-a')).filter((row) => row.hash === null)).toHaveLength(1);
  });

  it('names an entry whose details were altered', async () => {
    await db().updateTable('audit_log').set({ details: '{"force":false,"deletedMessageCount":0}' }).where('id', '=', chain[2]!.id).execute();
    const { line } = broken(verifyAudit(t));
    expect(line).toBe(`chain broken: ${where(chain[2]!)}: altered: its stored hash is not the hash of its contents`);
  });

  it('names an entry whose actor was altered', async () => {
    await db().updateTable('audit_log').set({ actor: 'someone-else' }).where('id', '=', chain[0]!.id).execute();
    const { line } = broken(verifyAudit(t));
    expect(line).toBe(`chain broken: ${where(chain[0]!)}: altered: its stored hash is not the hash of its contents`);
  });

  it('names the link an altered and re-hashed entry breaks', async () => {
    const forged = { ...chain[1]!, actor: 'someone-else' };
    await db().updateTable('audit_log').set({ actor: forged.actor, hash: recomputedHash(forged) }).where('id', '=', forged.id).execute();
    const { line } = broken(verifyAudit(t));
    expect(line).toBe(
      `chain broken: ${where(chain[2]!)}: altered: its previousHash is not the hash of the entry before it (id ${chain[1]!.id}, chain index 2): one of the two was altered and re-hashed`,
    );
  });

  it('names the last entry when it was altered and re-hashed (its chain head recorded the original)', async () => {
    const forged = { ...chain[4]!, details: null };
    await db().updateTable('audit_log').set({ details: null, hash: recomputedHash(forged) }).where('id', '=', forged.id).execute();
    const { line } = broken(verifyAudit(t));
    expect(line).toBe(`chain broken: ${where(chain[4]!)}: altered: its hash is not the one its chain head recorded: it was altered and re-hashed`);
  });

  it('names the entry after a removed middle entry', async () => {
    await db().deleteFrom('audit_log').where('id', '=', chain[2]!.id).execute();
    const { line } = broken(verifyAudit(t));
    expect(line).toBe(`chain broken: ${where(chain[3]!)}: removed before it: 1 entry missing: the entry before it is chain index 2 (id ${chain[1]!.id})`);
  });

  it('names the first entry left when the first ones were removed', async () => {
    await db().deleteFrom('audit_log').where('id', 'in', [chain[0]!.id, chain[1]!.id]).execute();
    const { line } = broken(verifyAudit(t));
    expect(line).toBe(`chain broken: ${where(chain[2]!)}: removed before it: 2 entries missing: it is the first entry left`);
  });

  it('names the entry before a removed last entry', async () => {
    await db().deleteFrom('audit_log').where('id', '=', chain[4]!.id).execute();
    const { line, summary } = broken(verifyAudit(t));
    expect(line).toBe(`chain broken: ${where(chain[3]!)}: removed at the end: the chain head is at chain index 5: 1 entry after it missing`);
    expect(summary).toBe('audit log broken in 1 tenant: 5 entries in 2 tenants checked; 0 not sealed yet');
  });

  it('finds a chain whose entries were all removed', async () => {
    await db().deleteFrom('audit_log').where('id', 'in', chain.map((r) => r.id)).execute();
    const { line } = broken(verifyAudit(t));
    expect(line).toBe('chain broken: tenant "tenant-a": removed at the end: every entry: its chain head is at chain index 5');
  });

  it('finds entries beyond a chain head that was moved back', async () => {
    await db().updateTable('audit_chain_heads').set({ chain_index: 3, hash: chain[2]!.hash }).where('tenant_id', '=', chain[0]!.tenant_id).execute();
    const { line } = broken(verifyAudit(t));
    expect(line).toBe(`chain broken: ${where(chain[3]!)}: altered: it lies beyond its chain head (chain index 3): the head was altered or removed`);
  });

  it('--tenant checks that tenant only; an unknown tenant is one clear line and exit 2', async () => {
    await db().deleteFrom('audit_log').where('id', '=', chain[4]!.id).execute();
    const b = verifyAudit(t, '--tenant', 'tenant-b');
    expect(b.status).toBe(0);
    expect(b.stdout).toBe('audit log intact: 1 entry in 1 tenant checked; 0 not sealed yet\n');
    expect(verifyAudit(t, '--tenant', 'tenant-a').status).toBe(1);
    const unknown = verifyAudit(t, '--tenant', 'nobody');
    expect(unknown.status).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr.trim()).toBe('chat-gateway: there is no tenant named "nobody"');
  });
});
