import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { App } from '../../src/app.ts';
import type { TestApp } from '../helpers/harness.ts';
import { run } from '../graphql/documents.ts';

// Helpers of the audit-chain tests. The chain's columns (chain_index, the stored details
// text, tenant_id) are not served, so these read and tamper with the stored rows directly.

const bin = new URL('../../bin/chat-gateway.js', import.meta.url).pathname;

export const CHAINED_LOG = /* GraphQL */ `{ auditLog(first: 100) { edges { node { id action hash previousHash } } } }`;

const DELETE_CHAT_CHAINED = /* GraphQL */ `
  mutation($id: ID!) {
    deleteChat(id: $id) { __typename ... on DeleteChatSuccess { auditEntry { id hash previousHash } } }
  }
`;

export interface ChainedAnswer {
  __typename: string;
  auditEntry: { id: string; hash: string; previousHash: string | null };
}

/** Deletes a chat and asks for its audit entry's place in the chain. */
export async function deleteChatChained(t: TestApp, chatId: string, key?: string): Promise<ChainedAnswer> {
  const r = await run<ChainedAnswer>(t, DELETE_CHAT_CHAINED, { id: chatId }, 'deleteChat', { key });
  expect(r.__typename).toBe('DeleteChatSuccess');
  return r;
}

/** The same delete sent to another app on the same database (a second replica). */
export async function deleteChatChainedOn(app: App, key: string, chatId: string): Promise<ChainedAnswer> {
  const response = await app.gateway.fetch('http://replica.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query: DELETE_CHAT_CHAINED, variables: { id: chatId } }),
  });
  const body = (await response.json()) as { data?: { deleteChat: ChainedAnswer }; errors?: unknown };
  if (!body.data) throw new Error(`deleteChat failed on the replica: ${JSON.stringify(body)}`);
  expect(body.data.deleteChat.__typename).toBe('DeleteChatSuccess');
  return body.data.deleteChat;
}

export async function tenantIdOf(t: TestApp, name: string): Promise<string> {
  return (await t.app.deps.store.db.selectFrom('tenants').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
}

/** The hash as docs/design.md ("Audit log") defines it, written out again here on purpose. */
export function recomputedHash(row: ChainRow): string {
  const form = [row.previous_hash, row.tenant_id, row.chain_index, row.id, row.action, row.target_type, row.target_id, row.actor, row.request_id, row.details, row.at];
  return createHash('sha256').update(Buffer.from(JSON.stringify(form), 'utf8')).digest('hex');
}

export type ChainRow = Awaited<ReturnType<typeof storedRows>>[number];

/** A tenant's stored audit rows in the order they were written. */
export async function storedRows(t: TestApp, tenant: string) {
  const db = t.app.deps.store.db;
  return db
    .selectFrom('audit_log')
    .innerJoin('tenants', 'tenants.id', 'audit_log.tenant_id')
    .selectAll('audit_log')
    .where('tenants.name', '=', tenant)
    .orderBy('audit_log.seq')
    .execute();
}

/** A tenant's sealed rows in chain order. */
export async function chainRows(t: TestApp, tenant: string) {
  return (await storedRows(t, tenant)).filter((r) => r.chain_index !== null).sort((a, b) => a.chain_index! - b.chain_index!);
}

/** Fails unless the rows are one intact chain: indexes 1…n, each linked to the one before, each hash recomputed. */
export function expectIntactChain(rows: ChainRow[]): void {
  expect(rows.length).toBeGreaterThan(0);
  rows.forEach((row, i) => {
    if (row.chain_index !== i + 1) throw new Error(`chain index ${row.chain_index} at position ${i + 1}`);
    if (row.previous_hash !== (i === 0 ? null : rows[i - 1]!.hash)) throw new Error(`entry ${row.id} does not link to the one before it`);
    if (row.hash !== recomputedHash(row)) throw new Error(`entry ${row.id} has a hash that does not recompute`);
  });
}

/** Runs `chat-gateway verify-audit` on the test app's database, as a separate process. */
export function verifyAudit(t: TestApp, ...args: string[]) {
  const r = spawnSync('node', [bin, 'verify-audit', ...args], {
    env: { ...process.env, DATABASE_URL: t.dbPath, CONFIG_FILE: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `n` entries of the tenant written straight into the table, unsealed, as the migration
 * leaves every older entry; ids count up from 00000000-0000-4000-8000-000000000000.
 */
export async function insertUnsealed(t: TestApp, tenant: string, n: number): Promise<string[]> {
  const db = t.app.deps.store.db;
  const tenantId = await tenantIdOf(t, tenant);
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    tenant_id: tenantId,
    action: 'thread.purge',
    target_type: 'THREAD' as const,
    target_id: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
    actor: 'system:purge',
    request_id: `older-${i}`,
    details: i % 2 ? null : JSON.stringify({ deletedMessageCount: i }),
    at: new Date(Date.UTC(2025, 0, 1) + i).toISOString(),
  }));
  for (let i = 0; i < n; i += 400) await db.insertInto('audit_log').values(rows.slice(i, i + 400)).execute();
  return rows.map((r) => r.id);
}
