import {
  type AuditSeal,
  lockChainHead,
  moveChainHead,
  sealAudit,
  tenantsWithUnsealedAudit,
  unsealedAudit,
} from '../data/audit-chain.repository.ts';
import type { DataStore } from '../data/data-store.ts';
import type { Db } from '../data/db.ts';
import { chainHash } from './audit-hash.ts';
import { Coalesced } from './coalesced.ts';

// Entries are written unsealed, inside the transaction of the change they record, and
// chained here after commit. Chaining inside that transaction would mean locking the
// tenant's chain head in every delete, which on PostgreSQL serialises one tenant's deletes.

/** Entries sealed per transaction: each sealing holds the tenant's head lock only briefly. */
const SEAL_BATCH = 500;

/** Seals the audit log into one hash chain per tenant (src/domain/audit-hash.ts). */
export class AuditChain {
  private readonly tenants = new Coalesced<string>((tenantId) => this.sealTenant(tenantId));
  private readonly sweeps = new Coalesced<'all'>(() => this.sweep());
  private readonly timer: NodeJS.Timeout | undefined;

  /** With `intervalMs`, every tenant's new entries are sealed that often. */
  constructor(
    private readonly store: DataStore,
    intervalMs?: number,
  ) {
    this.timer =
      intervalMs === undefined
        ? undefined
        : setInterval(() => {
            this.sealAll().catch((error: unknown) => console.error('sealing the audit log failed; the next sealing retries', error));
          }, intervalMs).unref();
  }

  /** Seals every entry of the tenant committed before the call. */
  seal(tenantId: string): Promise<void> {
    return this.tenants.run(tenantId);
  }

  /** Seals every entry committed before the call, of every tenant. */
  sealAll(): Promise<void> {
    return this.sweeps.run('all');
  }

  /** Stops the timer after one last sealing, so entries written until now leave sealed. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    try {
      await this.sealAll();
    } finally {
      await this.tenants.idle();
    }
  }

  private async sweep(): Promise<void> {
    for (const tenantId of await tenantsWithUnsealedAudit(this.store.db)) await this.seal(tenantId);
  }

  private async sealTenant(tenantId: string): Promise<void> {
    // Most calls (every auditLog read) find nothing to seal: one read, no lock taken.
    if ((await unsealedAudit(this.store.db, tenantId, 1)).length === 0) return;
    while ((await sealBatch(this.store.db, tenantId)) === SEAL_BATCH) await this.store.settleLog();
  }
}

/**
 * Chains the tenant's oldest unsealed entries onto its head, in one transaction that holds
 * the head's lock: another sealer of the tenant (another replica) waits, then sees these
 * entries sealed. Entries are chained in the order they were written, among those committed;
 * one committed late (a lower seq) is chained when it is seen, so chain order is
 * chain_index, not seq. Returns how many it sealed.
 */
async function sealBatch(db: Db, tenantId: string): Promise<number> {
  return db.transaction().execute(async (trx) => {
    let head = await lockChainHead(trx, tenantId);
    const rows = await unsealedAudit(trx, tenantId, SEAL_BATCH);
    if (rows.length === 0) return 0;
    const seals: AuditSeal[] = rows.map((row) => {
      const link = { chain_index: head.chain_index + 1, previous_hash: head.hash };
      const hash = chainHash({ ...row, ...link });
      head = { chain_index: link.chain_index, hash };
      return { seq: row.seq, ...link, hash };
    });
    const sealed = await sealAudit(trx, seals);
    // Only a sealer that ignored the head's lock could have sealed one of these meanwhile.
    if (sealed !== seals.length) throw new Error(`sealing tenant ${tenantId}: ${seals.length - sealed} entries were sealed by someone else`);
    await moveChainHead(trx, tenantId, head);
    return rows.length;
  });
}
