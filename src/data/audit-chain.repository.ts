import { sql } from 'kysely';
import type { Db } from './db.ts';
import type { AuditChainHeadRow, AuditRow } from './tables.ts';

/** Where a tenant's chain ends: 0 and null before its first entry is sealed. */
export type ChainHead = Pick<AuditChainHeadRow, 'chain_index' | 'hash'>;

/** What sealing sets on one entry. */
export interface AuditSeal {
  seq: number;
  chain_index: number;
  previous_hash: string | null;
  hash: string;
}

/** Served by the partial index of unsealed entries, which is empty when all are sealed. */
export async function tenantsWithUnsealedAudit(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('audit_log').select('tenant_id').distinct().where('hash', 'is', null).execute();
  return rows.map((r) => r.tenant_id);
}

/**
 * The tenant's chain head, locked until the transaction ends (PostgreSQL: the row is
 * created first if missing, so there is always a row to lock): sealers of one tenant take
 * turns, and each sees the head the one before it left.
 */
export async function lockChainHead(trx: Db, tenantId: string): Promise<ChainHead> {
  await trx
    .insertInto('audit_chain_heads')
    .values({ tenant_id: tenantId, chain_index: 0, hash: null })
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
  return trx
    .selectFrom('audit_chain_heads')
    .select(['chain_index', 'hash'])
    .where('tenant_id', '=', tenantId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

export async function moveChainHead(trx: Db, tenantId: string, head: ChainHead): Promise<void> {
  await trx.updateTable('audit_chain_heads').set(head).where('tenant_id', '=', tenantId).execute();
}

/** The oldest `limit` unsealed entries of the tenant, in the order they were written. */
export async function unsealedAudit(trx: Db, tenantId: string, limit: number): Promise<AuditRow[]> {
  return trx
    .selectFrom('audit_log')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('hash', 'is', null)
    .orderBy('seq')
    .limit(limit)
    .execute();
}

/**
 * Seals a batch in one statement whose text is the same for any batch size (one cached or
 * prepared statement, not one per size): the seals travel as one JSON object keyed by seq,
 * which json_each reads on both engines. Only entries still unsealed are changed; the count
 * tells the caller whether every one was.
 */
export async function sealAudit(trx: Db, seals: AuditSeal[]): Promise<number> {
  const bySeq = Object.fromEntries(seals.map((s) => [s.seq, { c: s.chain_index, p: s.previous_hash, h: s.hash }]));
  const result = await sql`
    update audit_log
    set chain_index = cast(v.value ->> 'c' as integer), previous_hash = v.value ->> 'p', hash = v.value ->> 'h'
    from json_each(${JSON.stringify(bySeq)}) as v
    where audit_log.seq = cast(v.key as integer) and audit_log.hash is null`.execute(trx);
  return Number(result.numAffectedRows ?? 0);
}

export async function findChainHead(db: Db, tenantId: string): Promise<ChainHead | undefined> {
  return db.selectFrom('audit_chain_heads').select(['chain_index', 'hash']).where('tenant_id', '=', tenantId).executeTakeFirst();
}

/** Sealed entries in chain order, `limit` of those after chain index `afterIndex` up to `upToIndex`. */
export async function chainPage(db: Db, tenantId: string, range: { afterIndex: number; upToIndex: number }, limit: number): Promise<AuditRow[]> {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('chain_index', '>', range.afterIndex)
    .where('chain_index', '<=', range.upToIndex)
    .orderBy('chain_index')
    .limit(limit)
    .execute();
}

/** The entry with the highest chain index: the end of the chain as the entries tell it. */
export async function lastChainedAudit(db: Db, tenantId: string): Promise<AuditRow | undefined> {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('chain_index', 'is not', null)
    .orderBy('chain_index', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function countUnsealedAudit(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('hash', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
