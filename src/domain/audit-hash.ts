import { createHash } from 'node:crypto';
import type { AuditRow } from '../data/tables.ts';

/** An entry with its place in its tenant's chain: everything its hash covers. */
export type ChainedEntry = Omit<AuditRow, 'seq' | 'hash' | 'chain_index' | 'previous_hash'> & {
  chain_index: number;
  previous_hash: string | null;
};

/**
 * The text an entry's hash is taken over, as docs/design.md ("Audit log") documents it for
 * anyone recomputing a hash without this code. `details` is the stored text as it is, so
 * recomputing needs no JSON canonicalisation and any change to the stored bytes shows.
 * `seq` is left out: it is the storage order, and chain_index is the chain's.
 */
function canonicalForm(e: ChainedEntry): string {
  return JSON.stringify([
    e.previous_hash,
    e.tenant_id,
    e.chain_index,
    e.id,
    e.action,
    e.target_type,
    e.target_id,
    e.actor,
    e.request_id,
    e.details,
    e.at,
  ]);
}

/** Hex SHA-256 of the canonical form's UTF-8. */
export function chainHash(e: ChainedEntry): string {
  return createHash('sha256').update(canonicalForm(e), 'utf8').digest('hex');
}
