import {
  deleteExpiredIdempotencyKeys,
  deleteIdempotencyKey,
  findIdempotencyKey,
  insertIdempotencyKey,
  replaceAbandonedIdempotencyKey,
  replaceExpiredIdempotencyKey,
  saveIdempotentResponse,
} from '../data/idempotency.repository.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';

/** What to do with a request that carries an Idempotency-Key. */
export type Claim =
  | { kind: 'run' }
  | { kind: 'replay'; status: number; contentType: string | null; body: string }
  /** The key was first used for a different request. */
  | { kind: 'reused' }
  /** The first request with this key has not answered yet. */
  | { kind: 'in-progress' }
  /** The request ran, but a permanent delete has since taken its stored answer away. */
  | { kind: 'erased' };

export interface StoredResponse {
  status: number;
  contentType: string | null;
  body: string;
}

/**
 * Claims a tenant's key for a request (identified by `fingerprint`): the first claim
 * runs it, a retry of the same request replays the stored answer. Keys expire after
 * the configured time and can then be used afresh.
 */
export async function claimIdempotencyKey(
  deps: Deps,
  /** The request claiming it; its own erasure spares the key unless `requestId` is null. */
  owner: { tenantId: string; requestId: string | null },
  key: string,
  fingerprint: string,
): Promise<Claim> {
  const tenantId = owner.tenantId;
  const now = isoNow(deps.clock);
  const row = {
    tenant_id: tenantId,
    key,
    fingerprint,
    status: null,
    content_type: null,
    body: null,
    erased_at: null,
    request_id: owner.requestId,
    created_at: now,
    expires_at: new Date(Date.parse(now) + deps.settings.idempotencyTtlMs).toISOString(),
  };
  const db = deps.store.db;
  if (await insertIdempotencyKey(db, row)) return { kind: 'run' };
  const existing = await findIdempotencyKey(db, tenantId, key);
  if (!existing) return (await insertIdempotencyKey(db, row)) ? { kind: 'run' } : { kind: 'in-progress' };
  if (existing.expires_at <= now) return (await replaceExpiredIdempotencyKey(db, row, now)) ? { kind: 'run' } : { kind: 'in-progress' };
  if (existing.fingerprint !== fingerprint) return { kind: 'reused' };
  if (existing.status === null) {
    // Unanswered past the lease: its request died (a crash, kill -9), and this retry runs it.
    const claimedBefore = new Date(Date.parse(now) - deps.settings.idempotencyLeaseMs).toISOString();
    if (existing.created_at <= claimedBefore) {
      return (await replaceAbandonedIdempotencyKey(db, row, claimedBefore)) ? { kind: 'run' } : { kind: 'in-progress' };
    }
    return { kind: 'in-progress' };
  }
  if (existing.status !== null && existing.erased_at !== null) return { kind: 'erased' };
  if (existing.body === null) return { kind: 'in-progress' };
  return { kind: 'replay', status: existing.status, contentType: existing.content_type, body: existing.body };
}

export async function completeIdempotencyKey(deps: Deps, tenantId: string, key: string, response: StoredResponse) {
  await saveIdempotentResponse(deps.store.db, tenantId, key, response);
}

/** Frees a key whose request failed unexpectedly, so the retry runs it again. */
export async function releaseIdempotencyKey(deps: Deps, tenantId: string, key: string) {
  await deleteIdempotencyKey(deps.store.db, tenantId, key);
}

export async function purgeExpiredIdempotencyKeys(deps: Pick<Deps, 'store' | 'clock'>): Promise<number> {
  return deleteExpiredIdempotencyKeys(deps.store.db, isoNow(deps.clock));
}
