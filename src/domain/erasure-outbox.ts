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
// At least once, never twice at the same time: every entry is held under a lease while it
// is delivered. The process whose delete wrote an entry holds it from the start (its lease
// is written with it, leaseFrom) and is handed it after the commit (deliver), so a delete's
// copies cost no claim; a replica claims the other due entries (retries, leases that ran
// out) with SKIP LOCKED. One that dies (kill -9) mid-way leaves its lease to run out, and
// the entry is delivered again by whoever claims it next.
// Receivers see the event's `id` again on a repeat. Confirmations are recorded together,
// RECORD_DELAY_MS after the first of them, in one statement: a receipt reads COMPLETE that
// much later, and a crash in between only makes those deliveries repeat (within their lease
// nothing else takes them). A failed attempt is retried with
// exponential backoff (1 s, 2 s, 4 s … up to ERASURE_RETRY_MAX_MS) until its deadline
// (ERASURE_RETRY_HOURS after the delete); the attempt that fails at the deadline makes the
// copy FAILED.

/**
 * How long a claim holds an entry: twice an eraser's longest attempt (a Redis connect of
 * 5 s and a command of 10 s), so a live delivery is never taken over, while one cut short
 * by a crash waits at most this long for another claim.
 */
export const DELIVERY_LEASE_MS = 30_000;
/** Entries one round takes, delivered side by side. */
const BATCH = 16;
/**
 * Entries handed over and not yet attempted that are kept in memory; more (targets slower
 * than the deletes, for long) wait in the outbox for their lease to run out, and a claim.
 */
const MAX_HANDED = 1024;

/** The lease an entry written at `at` is held under by its writer, which delivers it (deliver). */
export function leaseFrom(at: string): string {
  return new Date(Date.parse(at) + DELIVERY_LEASE_MS).toISOString();
}
/**
 * How long a confirmation waits for others to be recorded with, in one statement: one per
 * round of deliveries was a statement every 5-7 deletes on the one SQLite connection
 * (bench/RESULTS.md, "Erasure targets"). Far below the lease, so no claim takes a
 * confirmed entry meanwhile.
 */
const RECORD_DELAY_MS = 100;
/** Confirmations recorded at once without waiting out the delay. */
const RECORD_BATCH = 256;
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
  // One run of each kind at a time: a claim of due entries, a round of handed ones, the
  // recording of confirmations.
  private readonly rounds = new Coalesced<'due' | 'handed' | 'confirmed'>((work) =>
    work === 'due' ? this.drain() : work === 'handed' ? this.deliverHanded() : this.recordConfirmed(),
  );
  /** Entries this process wrote, leased, and has yet to attempt. */
  private handed: ErasureDeliveryRow[] = [];
  // A target's kind, url, key pattern and secret never change (removal only marks it), so
  // what was read once serves every later delivery to it.
  private readonly targets = new Map<string, ErasureTargetRow>();
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** Confirmed, not yet recorded (RECORD_DELAY_MS). */
  private confirmed: Attempt[] = [];
  private recordTimer: NodeJS.Timeout | undefined;

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
    this.begin('due');
  }

  /**
   * Takes, after their commit, entries this process wrote under its own lease (leaseFrom):
   * they are attempted without a claim, those that come while a round is under way together
   * in the next. Once closing, or beyond MAX_HANDED, they are left to their lease, and then
   * to any replica.
   */
  deliver(entries: readonly ErasureDeliveryRow[]): void {
    if (this.stopped || entries.length === 0) return;
    this.handed.push(...entries.slice(0, MAX_HANDED - this.handed.length));
    this.begin('handed');
  }

  /**
   * Resolves when no delivery round is under way and every outcome is recorded (what was
   * due or handed has been attempted, and the receipts say so).
   */
  async idle(): Promise<void> {
    await this.rounds.idle();
    await this.recordNow();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.idle();
    await this.erasers.close();
  }

  private begin(work: 'due' | 'handed'): void {
    if (this.stopped) return;
    this.rounds
      .run(work)
      .catch((error: unknown) => console.error('erasure outbox: delivery round failed; it is retried at the next poll', error));
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const now = isoNow(this.clock);
      const claimed = await claimDueDeliveries(this.store.db, now, leaseFrom(now), BATCH);
      if (claimed.length === 0) return;
      await this.round(claimed);
    }
  }

  private async deliverHanded(): Promise<void> {
    while (!this.stopped && this.handed.length > 0) await this.round(this.handed.splice(0, BATCH));
  }

  /** Attempts entries held under their lease, side by side, and records the outcomes. */
  private async round(entries: readonly ErasureDeliveryRow[]): Promise<void> {
    const targets = await this.targetsOf(entries);
    await this.record(await Promise.all(entries.map((delivery) => this.attempt(delivery, targets.get(delivery.target_id)!))));
  }

  private async targetsOf(entries: readonly ErasureDeliveryRow[]): Promise<Map<string, ErasureTargetRow>> {
    const missing = [...new Set(entries.map((d) => d.target_id))].filter((id) => !this.targets.has(id));
    for (const target of await findTargetsByIds(this.store.db, missing)) this.targets.set(target.id, target);
    return this.targets;
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
   * Records a round's outcomes: the confirmed ones with those of the rounds around it
   * (RECORD_DELAY_MS); a failure now, only while this round's lease still holds it (a lease
   * that ran out was taken over, and that claim records its own).
   */
  private async record(attempts: readonly Attempt[]): Promise<void> {
    const now = isoNow(this.clock);
    for (const a of attempts) {
      if (a.error === undefined) {
        this.confirmed.push(a);
        continue;
      }
      const attempts = a.delivery.attempts + 1;
      const failed = now >= a.delivery.deadline_at;
      const next = Math.min(Date.parse(now) + retryDelayMs(attempts, this.settings.erasureRetryMaxMs), Date.parse(a.delivery.deadline_at));
      const kept = await recordFailure(this.store.db, { receipt_id: a.delivery.receipt_id, id: a.delivery.id, leasedUntil: a.delivery.leased_until! }, {
        status: failed ? 'FAILED' : 'PENDING',
        attempts,
        last_error: a.error,
        next_attempt_at: failed ? a.delivery.next_attempt_at : new Date(next).toISOString(),
      });
      if (kept) this.tell(failed ? 'failed' : 'retry', a);
    }
    if (this.confirmed.length >= RECORD_BATCH) void this.recordNow();
    else if (this.confirmed.length > 0) this.recordTimer ??= setTimeout(() => void this.recordNow(), RECORD_DELAY_MS);
  }

  /** Resolves once every confirmation taken so far is recorded (also after close: begin would refuse). */
  private recordNow(): Promise<void> {
    clearTimeout(this.recordTimer);
    this.recordTimer = undefined;
    return this.rounds.run('confirmed');
  }

  /**
   * Records the confirmations taken so far in one statement, whoever holds them now (a copy
   * confirmed erased is erased); one that fails leaves its entries to their lease, and to a
   * repeat delivery.
   */
  private async recordConfirmed(): Promise<void> {
    const batch = this.confirmed;
    this.confirmed = [];
    if (batch.length === 0) return;
    try {
      const done = new Set(await completeDeliveries(this.store.db, batch.map((a) => a.delivery), isoNow(this.clock)));
      for (const a of batch) if (done.has(a.delivery.id)) this.tell('delivered', a);
    } catch (error) {
      console.error('erasure outbox: confirmed deliveries not recorded; they are delivered again once their lease runs out', error);
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
