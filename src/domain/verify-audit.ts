import { type ChainHead, chainPage, countUnsealedAudit, findChainHead, lastChainedAudit } from '../data/audit-chain.repository.ts';
import type { Db } from '../data/db.ts';
import type { AuditRow } from '../data/tables.ts';
import { findTenantByName, tenantsPage } from '../data/tenants.repository.ts';
import { chainHash } from './audit-hash.ts';

// The check of `chat-gateway verify-audit`. It never seals: a verifier must not bless what
// it checks, so entries not sealed yet are only counted.

/** Entries (and tenants) read at a time: memory stays bounded at any size of log. */
const PAGE = 1000;

export type BreakKind = 'altered' | 'removed before it' | 'removed at the end';

/** The first place where a tenant's chain is not what its sealer left. */
export interface ChainBreak {
  tenant: string;
  /** The entry where the check failed; absent when every entry of the chain is gone. */
  entry?: { id: string; seq: number; chainIndex: number };
  kind: BreakKind;
  detail: string;
}

export interface AuditVerification {
  tenants: number;
  /** Sealed entries checked. */
  entries: number;
  /** Entries written but not sealed yet: not a failure, the server seals them soon. */
  unsealed: number;
  /** At most one per tenant: its first. */
  breaks: ChainBreak[];
}

/** Checks every tenant's chain, or only `tenantName`'s; undefined when no tenant has that name. */
export async function verifyAuditLog(db: Db, tenantName?: string): Promise<AuditVerification | undefined> {
  const result: AuditVerification = { tenants: 0, entries: 0, unsealed: 0, breaks: [] };
  const check = async (tenant: { id: string; name: string }) => {
    const checked = await verifyChain(db, tenant);
    result.tenants += 1;
    result.entries += checked.entries;
    result.unsealed += await countUnsealedAudit(db, tenant.id);
    if (checked.break) result.breaks.push(checked.break);
  };
  if (tenantName !== undefined) {
    const tenant = await findTenantByName(db, tenantName);
    if (!tenant) return undefined;
    await check(tenant);
    return result;
  }
  let after: string | undefined;
  for (;;) {
    const page = await tenantsPage(db, after, PAGE);
    for (const tenant of page) await check(tenant);
    if (page.length < PAGE) return result;
    after = page.at(-1)!.name;
  }
}

/**
 * Walks one chain in chain_index order up to the head read first: a sealing commits its
 * entries and the head together, so every entry up to that head is there to be read, and
 * entries sealed while the walk runs are left for the next check.
 */
async function verifyChain(db: Db, tenant: { id: string; name: string }): Promise<{ entries: number; break?: ChainBreak }> {
  const head: ChainHead = (await findChainHead(db, tenant.id)) ?? { chain_index: 0, hash: null };
  let previous: AuditRow | undefined;
  let entries = 0;
  const broken = (row: AuditRow | undefined, kind: BreakKind, detail: string) => ({
    entries,
    break: { tenant: tenant.name, entry: row && { id: row.id, seq: row.seq, chainIndex: row.chain_index! }, kind, detail },
  });
  for (;;) {
    const page = await chainPage(db, tenant.id, { afterIndex: previous?.chain_index ?? 0, upToIndex: head.chain_index }, PAGE);
    for (const row of page) {
      const problem = linkProblem(row, previous);
      if (problem) return broken(row, problem.kind, problem.detail);
      entries += 1;
      previous = row;
    }
    if (page.length < PAGE) break;
  }
  const beyond = await beyondHead(db, tenant.id, head);
  if (beyond) return broken(beyond, 'altered', `it lies beyond its chain head (chain index ${head.chain_index}): the head was altered or removed`);
  if (head.chain_index === 0) return { entries };
  if (!previous) return broken(undefined, 'removed at the end', `every entry: its chain head is at chain index ${head.chain_index}`);
  if (previous.chain_index! < head.chain_index) {
    const missing = head.chain_index - previous.chain_index!;
    return broken(previous, 'removed at the end', `the chain head is at chain index ${head.chain_index}: ${missing} entr${missing === 1 ? 'y' : 'ies'} after it missing`);
  }
  if (previous.hash !== head.hash) return broken(previous, 'altered', 'its hash is not the one its chain head recorded: it was altered and re-hashed');
  return { entries };
}

/**
 * The first entry chained after the head read before the walk, that a head read now does not
 * reach either: a sealing commits entries and head together, so only a head moved back
 * (or removed) leaves one.
 */
async function beyondHead(db: Db, tenantId: string, head: ChainHead): Promise<AuditRow | undefined> {
  const last = await lastChainedAudit(db, tenantId);
  if (!last || last.chain_index! <= head.chain_index) return undefined;
  const now = await findChainHead(db, tenantId);
  if (now && now.chain_index >= last.chain_index!) return undefined;
  const [first] = await chainPage(db, tenantId, { afterIndex: head.chain_index, upToIndex: last.chain_index! }, 1);
  return first ?? last;
}

/** What is wrong with `row` as the entry after `previous` (undefined: the start of the chain). */
function linkProblem(row: AuditRow, previous: AuditRow | undefined): { kind: BreakKind; detail: string } | undefined {
  const index = row.chain_index!;
  const expected = (previous?.chain_index ?? 0) + 1;
  if (index !== expected) {
    const missing = index - expected;
    const where = previous ? `the entry before it is chain index ${previous.chain_index} (id ${previous.id})` : 'it is the first entry left';
    return { kind: 'removed before it', detail: `${missing} entr${missing === 1 ? 'y' : 'ies'} missing: ${where}` };
  }
  if (row.hash !== chainHash({ ...row, chain_index: index })) return { kind: 'altered', detail: 'its stored hash is not the hash of its contents' };
  if (row.previous_hash !== (previous?.hash ?? null)) {
    return {
      kind: 'altered',
      detail: previous
        ? `its previousHash is not the hash of the entry before it (id ${previous.id}, chain index ${previous.chain_index}): one of the two was altered and re-hashed`
        : 'it is the first entry, yet its previousHash is not null',
    };
  }
  return undefined;
}
