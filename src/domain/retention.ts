import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type ChatPosition, expiredChats, listRetentionPolicies, releaseLease, takeLease, tenantsWithRetention } from '../data/retention.repository.ts';
import { ALL_PERMISSIONS } from './api-keys.ts';
import { recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import { deleteChat } from './delete-chat.ts';
import type { RetentionNotice } from './deletion-observer.ts';
import type { Deps } from './deps.ts';
import { receiptFor, writeReceipt } from './erasure-receipts.ts';
import { ConflictError, NotFoundError, ValidationError } from './errors.ts';
import { newId } from './ids.ts';
import type { Scope } from './scope.ts';

// Retention erases the chats whose last activity (newest message, else the chat's creation)
// is older than their flow's policy, or the tenant's default for flows without one, as
// deleteChat(force: true) does, one chat per transaction: copies elsewhere, receipts and
// the erasure queue for large chats included. Each chat's audit entry has the actor
// system:retention; each tenant's run that erased or held a chat adds one retention.run
// entry with the counts, and its receipt. A legal hold keeps a chat (counted as held).

export const RETENTION_ACTOR = 'system:retention';
/** One run at a time across replicas: the lease's name, and how long one batch may hold it. */
const LEASE = 'retention';
const LEASE_MS = 5 * 60_000;
/** Chats read per query of the expired ones. */
const BATCH = 100;
/** Chats erased at the same time. */
const SIDE_BY_SIDE = 2;
const DAY_MS = 86_400_000;

/** `heldChatCount`: chats past their age that a legal hold kept. */
export interface RetentionOutcome extends RetentionNotice {
  /** The run's receipt: null for a dry run, and when the run erased and held nothing. */
  receiptId: string | null;
}

/** Runs the tenant's policies now (runRetention); a run under way elsewhere answers a ValidationError. */
export async function runTenantRetention(deps: Deps, scope: Scope, options: { dryRun: boolean }): Promise<RetentionOutcome> {
  const outcomes = await underLease(deps, () => retainTenant(deps, scope.tenantId, scope.requestId, options.dryRun));
  if (outcomes === undefined) {
    throw new ValidationError([{ path: ['runRetention'], message: 'a retention run is already under way (another request, replica or the timer); try again when it ends' }]);
  }
  return outcomes;
}

/**
 * Runs every tenant's policies (the server's timer, `chat-gateway retention`); undefined
 * when a run is already under way elsewhere. Once `signal` aborts (a shutdown), it stops
 * after the chat at hand, and what it erased until then is recorded.
 */
export async function runAllRetention(
  deps: Deps,
  options: { dryRun: boolean; signal?: AbortSignal },
): Promise<Map<string, RetentionOutcome> | undefined> {
  const requestId = newId();
  return underLease(deps, async (renew) => {
    const outcomes = new Map<string, RetentionOutcome>();
    for (const tenantId of await tenantsWithRetention(deps.store.db)) {
      if (options.signal?.aborted) break;
      await renew();
      outcomes.set(tenantId, await retainTenant(deps, tenantId, requestId, options.dryRun, renew, options.signal));
    }
    return outcomes;
  });
}

async function underLease<T>(deps: Deps, run: (renew: () => Promise<void>) => Promise<T>): Promise<T | undefined> {
  const holder = newId();
  const take = () => {
    const now = isoNow(deps.clock);
    return takeLease(deps.store.db, LEASE, holder, now, new Date(Date.parse(now) + LEASE_MS).toISOString());
  };
  if (!(await take())) return undefined;
  try {
    return await run(async () => {
      if (!(await take())) throw new Error('retention: the run lost its lease (it was held past LEASE_MS); it stops here');
    });
  } finally {
    await releaseLease(deps.store.db, LEASE, holder);
  }
}

async function retainTenant(
  deps: Deps,
  tenantId: string,
  requestId: string,
  dryRun: boolean,
  renew: () => Promise<void> = async () => {},
  signal?: AbortSignal,
): Promise<RetentionOutcome> {
  const scope: Scope = { tenantId, actor: RETENTION_ACTOR, requestId, permissions: ALL_PERMISSIONS };
  const now = Date.parse(isoNow(deps.clock));
  const counts = { erasedChatCount: 0, erasedMessageCount: 0, heldChatCount: 0 };
  const policies = await listRetentionPolicies(deps.store.db, tenantId);
  for (const policy of policies) {
    const cutoff = new Date(now - policy.max_age_days * DAY_MS).toISOString();
    let after: ChatPosition | undefined;
    while (!signal?.aborted) {
      const chats = await expiredChats(deps.store.db, policy, cutoff, after, BATCH);
      if (chats.length === 0) break;
      after = chats.at(-1)!;
      let next = 0;
      // A few chats side by side, each its own transaction (other requests run between
      // them), so that those finishing together share one WAL checkpoint, as concurrent
      // deletes do: one checkpoint per chat made a run ten times slower than the raw DELETEs.
      const worker = async () => {
        while (next < chats.length && !signal?.aborted) {
          const erased = await retainChat(deps, scope, chats[next++]!, dryRun);
          if (erased === 'held') counts.heldChatCount++;
          else if (erased !== undefined) {
            counts.erasedChatCount++;
            counts.erasedMessageCount += erased;
          }
          await yieldToEventLoop();
        }
      };
      await Promise.all(Array.from({ length: SIDE_BY_SIDE }, worker));
      await renew();
    }
  }
  const receiptId = dryRun || counts.erasedChatCount + counts.heldChatCount === 0 ? null : await recordRun(deps, scope, counts, policies.map((p) => p.id));
  const outcome = { dryRun, ...counts, receiptId };
  deps.deletions.retained(outcome);
  return outcome;
}

/**
 * Erases one expired chat (a dry run: says what that would do): its message count, 'held'
 * when a legal hold keeps it, undefined when it went meanwhile.
 */
async function retainChat(deps: Deps, scope: Scope, chat: { id: string }, dryRun: boolean): Promise<number | 'held' | undefined> {
  try {
    return (await deleteChat(deps, scope, { id: chat.id, force: true, dryRun })).deletedMessageCount;
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    if (error instanceof ConflictError && error.reason === 'LEGAL_HOLD') return 'held';
    throw error;
  }
}

/**
 * The run's audit entry and receipt. A run covers several policies, so its target is the
 * run itself (RETENTION_POLICY, the run's id), and its details name the policies applied.
 */
async function recordRun(deps: Deps, scope: Scope, counts: Omit<RetentionNotice, 'dryRun'>, policies: string[]): Promise<string> {
  const at = isoNow(deps.clock);
  return deps.store.db.transaction().execute(async (trx) => {
    const facts = { action: 'retention.run', targetType: 'RETENTION_POLICY', targetId: newId(), details: { ...counts, policies } } as const;
    const entry = await recordAudit(trx, scope, facts, at);
    const receipt = receiptFor({ ...facts, id: entry.id }, { chats: counts.erasedChatCount, messages: counts.erasedMessageCount });
    await writeReceipt(trx, scope, receipt, [], at, deps.settings);
    return receipt.id;
  });
}
