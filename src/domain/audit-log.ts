import { findAudit, listAudit } from '../data/audit.repository.ts';
import { type AuditEntry, auditEntryOf } from './audit.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';

/** The tenant's audit log, newest first, `limit` entries older than `beforeSeq`; sealed first. */
export async function auditLog(deps: Deps, scope: Scope, beforeSeq: number | undefined, limit: number): Promise<AuditEntry[]> {
  await deps.auditChain.seal(scope.tenantId);
  return (await listAudit(deps.store.db, scope.tenantId, beforeSeq, limit)).map(auditEntryOf);
}

export type SealedAuditEntry = AuditEntry & { hash: string };

const isSealed = (entry: AuditEntry): entry is SealedAuditEntry => entry.hash !== null;

// An entry's hash and previousHash are asked for separately: both wait for one sealing.
const sealing = new WeakMap<AuditEntry, Promise<SealedAuditEntry>>();

/**
 * The entry with its place in the chain. An entry written by this request (a delete's
 * answer) or since the log was sealed is still unsealed: its tenant's chain is sealed
 * first, then the entry read again.
 */
export function sealedEntry(deps: Deps, scope: Scope, entry: AuditEntry): Promise<SealedAuditEntry> {
  if (isSealed(entry)) return Promise.resolve(entry);
  let sealed = sealing.get(entry);
  if (!sealed) {
    sealed = sealThenRead(deps, scope, entry.id);
    sealing.set(entry, sealed);
  }
  return sealed;
}

async function sealThenRead(deps: Deps, scope: Scope, id: string): Promise<SealedAuditEntry> {
  await deps.auditChain.seal(scope.tenantId);
  const row = await findAudit(deps.store.db, scope.tenantId, id);
  const entry = row && auditEntryOf(row);
  if (!entry || !isSealed(entry)) throw new Error(`audit entry ${id} is still unsealed after its tenant's chain was sealed`);
  return entry;
}
