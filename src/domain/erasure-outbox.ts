import type { DataStore } from '../data/data-store.ts';
import { findTargetsByIds } from '../data/erasure-targets.repository.ts';
import { claimDueDeliveries, completeDeliveries, recordFailure } from '../data/outbox.repository.ts';
import type { ErasureDeliveryRow, ErasureTargetRow } from '../data/tables.ts';
import { type Clock, isoNow } from './clock.ts';
import { Coalesced } from './coalesced.ts';
import type { CopyErasers, ErasureEvent } from './copy-erasure.ts';
import { hostAllowed, withoutCredentials } from './target-urls.ts';
import type { Settings } from './settings.ts';

// The outbox's worker: delivers, after commit, the erasure events that permanent deletes
// wrote in their own transactions (erasure-receipts.ts), so a delete never waits for nor
// fails because of a target, and a committed delete is never forgotten.
//
// At least once, never twice at the same time: a replica claims due entries with SKIP
// LOCKED and holds each under a lease while it delivers; one that dies (kill -9) mid-way
// leaves its lease to run out, and the entry is delivered again by whoever claims it next.
// Receivers see the event's `id` again on a repeat. A failed attempt is retried with
// exponential backoff (1 s, 2 s, 4 s … up to ERASURE_RETRY_MAX_MS) until its deadline
// (ERASURE_RETRY_HOURS after the delete); the attempt that fails at the deadline makes the
// copy FAILED.

/**
 * How long a claim holds an entry: twice an eraser's longest attempt (a Redis connect of
 * 5 s and a command of 10 s), so a live delivery is never taken over, while one cut short
 * by a crash waits at most this long for another claim.
 */
export const DELIVERY_LEASE_MS = 30_000;
/** Entries one claim takes, delivered side by side. */
const BATCH = 16;
/** Room for an error message in the receipt, which is shown to the tenant. */
const MAX_ERROR = 500;

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

/** What the worker reports, for metrics and logs. */
export interface OutboxObserver {
  attempted(outcome: DeliveryOutcome, delivery: { id: string; receiptId: string; targetId: string; target: string; attempts: number; error?: string }): void;
}

/** The pause after the `attempts`-th failed attempt. */
export function retryDelayMs(attempts: number, maxMs: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempts - 1), maxMs);
}

export class ErasureOutbox {
  private readonly rounds = new Coalesced<'due'>(() => this.drain());
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: DataStore,
    private readonly clock: Clock,
    private readonly erasers: CopyErasers,
    private readonly settings: Pick<Settings, 'erasureTargetHosts' | 'erasureRetryMaxMs'>,
    private readonly observer: OutboxObserver,
  ) {}

  /** Looks for due entries every `pollMs`: retries, entries of other replicas, those left by a crash. */
  start(pollMs: number): void {
    this.timer ??= setInterval(() => this.kick(), pollMs).unref();
    this.kick();
  }

  /** Delivers what is due now, unless already at it (then once more after). */
  kick(): void {
    if (this.stopped) return;
    this.rounds
      .run('due')
      .catch((error: unknown) => console.error('erasure outbox: delivery round failed; it is retried at the next poll', error));
  }

  /** Resolves when no delivery round is under way (what was due has been attempted). */
  idle(): Promise<void> {
    return this.rounds.idle();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.idle();
    await this.erasers.close();
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const now = isoNow(this.clock);
      const leaseUntil = new Date(Date.parse(now) + DELIVERY_LEASE_MS).toISOString();
      const claimed = await claimDueDeliveries(this.store.db, now, leaseUntil, BATCH);
      if (claimed.length === 0) return;
      const targets = new Map((await findTargetsByIds(this.store.db, [...new Set(claimed.map((d) => d.target_id))])).map((t) => [t.id, t]));
      const attempts = await Promise.all(claimed.map((delivery) => this.attempt(delivery, targets.get(delivery.target_id)!)));
      await this.record(attempts, leaseUntil);
    }
  }

  /** One attempt: undefined when confirmed, else why not. */
  private async attempt(delivery: ErasureDeliveryRow, target: ErasureTargetRow): Promise<Attempt> {
    if (!hostAllowed(target.url, this.settings.erasureTargetHosts)) {
      return { delivery, target, error: `host ${new URL(target.url).host} is no longer allowed by ERASURE_TARGET_HOSTS` };
    }
    try {
      await this.erasers.erase(
        { kind: target.kind, url: target.url, keyPattern: target.key_pattern, secret: target.secret },
        JSON.parse(delivery.event) as ErasureEvent,
      );
      return { delivery, target };
    } catch (failure) {
      return { delivery, target, error: (failure instanceof Error ? failure.message : String(failure)).slice(0, MAX_ERROR) || 'failed' };
    }
  }

  /**
   * Records a round's outcomes while its claim still holds them (a lease that ran out was
   * taken over, and that claim records its own): the confirmed ones in one statement.
   */
  private async record(attempts: readonly Attempt[], leaseUntil: string): Promise<void> {
    const now = isoNow(this.clock);
    const confirmed = attempts.filter((a) => a.error === undefined);
    const recorded = new Set(await completeDeliveries(this.store.db, confirmed.map((a) => a.delivery.id), leaseUntil, now));
    for (const a of confirmed) if (recorded.has(a.delivery.id)) this.tell('delivered', a);
    for (const a of attempts) {
      if (a.error === undefined) continue;
      const attempts = a.delivery.attempts + 1;
      const failed = now >= a.delivery.deadline_at;
      const next = Math.min(Date.parse(now) + retryDelayMs(attempts, this.settings.erasureRetryMaxMs), Date.parse(a.delivery.deadline_at));
      const kept = await recordFailure(this.store.db, { id: a.delivery.id, leasedUntil: leaseUntil }, {
        status: failed ? 'FAILED' : 'PENDING',
        attempts,
        last_error: a.error,
        next_attempt_at: failed ? a.delivery.next_attempt_at : new Date(next).toISOString(),
      });
      if (kept) this.tell(failed ? 'failed' : 'retry', a);
    }
  }

  private tell(outcome: DeliveryOutcome, { delivery, target, error }: Attempt): void {
    this.observer.attempted(outcome, {
      id: delivery.id,
      receiptId: delivery.receipt_id,
      targetId: target.id,
      target: withoutCredentials(target.url),
      attempts: delivery.attempts + 1,
      ...(error !== undefined && { error }),
    });
  }
}

interface Attempt {
  delivery: ErasureDeliveryRow;
  target: ErasureTargetRow;
  /** Why the copy was not confirmed erased; undefined when it was. */
  error?: string;
}
