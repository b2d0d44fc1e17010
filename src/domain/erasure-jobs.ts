import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { bumpChatVersions, deleteChatRow } from '../data/chats.repository.ts';
import {
  addErasureProgress,
  deleteChatMessagesChunk,
  deleteChatStreamEventsChunk,
  deleteFinishedErasureJobs,
  deleteSelectionChunk,
  finishErasureJob,
  findErasureJob,
  oldestErasureJob,
  setErasureTotal,
} from '../data/erasure.repository.ts';
import type { MessageSelection } from '../data/messages.repository.ts';
import type { Db } from '../data/db.ts';
import type { DataStore } from '../data/data-store.ts';
import type { ErasureJobRow } from '../data/tables.ts';
import { bumpThreadVersions } from '../data/threads.repository.ts';
import { type AuditEntry, type PendingAudit, recordAudit } from './audit.ts';
import { ChunkSizer } from './chunk-sizer.ts';
import { type Clock, isoNow } from './clock.ts';
import { redactStoredAnswers } from './redact-stored-answers.ts';

/** Up to this many messages a delete erases inside its own transaction; beyond, it queues a job. */
export const ERASE_INLINE_LIMIT = 5000;

/** What a 'messages' job erases: the selection, up to the last id it matched when asked. */
export interface QueuedSelection {
  selection: MessageSelection;
  upToId: string;
}

/** What a finished job did: the messages it erased and the chats they were in. */
export interface Erased {
  messages: number;
  chatIds: string[];
  /** The audit entry the queue recorded as it finished, when the job's request left it pending. */
  auditEntry?: AuditEntry;
}

/** What erasing a job came to: its messages, and the audit entry recorded with its end. */
type Finished = Omit<Erased, 'chatIds'>;

/**
 * Works through the durable erasure queue (erasure_jobs) in bounded chunks, each in its
 * own short transaction, yielding to the event loop between them, so a delete of a
 * million rows never freezes the server. Jobs left by a crash are resumed at start-up.
 */
export class Eraser {
  private running: Promise<void> | undefined;
  private stopped = false;
  private again = false;
  private readonly finished = new Map<string, Array<(erased: Erased) => void>>();
  /** The chats each job has erased messages of, for the caller waiting on it. */
  private readonly touched = new Map<string, Set<string>>();
  /** Jobs whose request is still counting what they will erase: they wait their turn. */
  private readonly held = new Set<string>();

  constructor(
    private readonly store: DataStore,
    private readonly clock: Clock,
  ) {}

  /** Starts working through the queue unless already at it. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => console.error('erasure failed; it resumes at the next start', error))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Keeps a job (queued by the caller's open transaction) from starting until released. */
  hold(jobId: string): void {
    this.held.add(jobId);
  }

  release(jobId: string): void {
    this.held.delete(jobId);
  }

  /**
   * Resolves with what the job erased once it is done (or with what it had erased by then
   * at shutdown, and no audit entry: the job resumes on the next start and records it then).
   */
  whenDone(jobId: string): Promise<Erased> {
    return new Promise((resolve) => {
      const list = this.finished.get(jobId) ?? [];
      list.push(resolve);
      this.finished.set(jobId, list);
      this.kick();
    });
  }

  /** Forgets finished jobs older than a day (the purge timer calls it). */
  async forgetFinished(): Promise<number> {
    return deleteFinishedErasureJobs(this.store.db, new Date(this.clock.now().getTime() - 86_400_000).toISOString());
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.running;
    for (const [jobId, resolvers] of this.finished) {
      const job = await findErasureJob(this.store.db, jobId);
      for (const resolve of resolvers) resolve({ messages: job?.done ?? 0, chatIds: this.chatsOf(jobId) });
    }
    this.finished.clear();
    this.touched.clear();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const job = await oldestErasureJob(this.store.db, [...this.held]);
      if (!job) return;
      const finished = await this.erase(job);
      if (finished === undefined) return;
      await this.store.flushErasure();
      const chatIds = this.chatsOf(job.id);
      for (const resolve of this.finished.get(job.id) ?? []) resolve({ ...finished, chatIds });
      this.finished.delete(job.id);
      this.touched.delete(job.id);
    }
  }

  private chatsOf(jobId: string): string[] {
    return [...(this.touched.get(jobId) ?? [])];
  }

  /**
   * Erases one job chunk by chunk and answers how many messages it erased in all (across
   * restarts), with the audit entry it recorded; undefined when stopped half-way (the job
   * stays queued).
   */
  private async erase(job: ErasureJobRow): Promise<Finished | undefined> {
    const db = this.store.db;
    let messages = job.done;
    // Progress (done/total) counts messages; the chat's cached events go uncounted.
    const chunked = async (sizer: ChunkSizer, step: (trx: Db, size: number) => Promise<number>, counts = true): Promise<boolean> => {
      for (;;) {
        if (this.stopped) return false;
        // Background checkpoints cannot complete while chunks keep committing, so the WAL
        // would grow by the whole erasure (400 MB for 50k messages) and take long to empty
        // at the end. Pausing now and then for one to complete lets the WAL start over.
        await this.store.settleLog();
        const erased = await sizer.time((size) =>
          db.transaction().execute(async (trx) => {
            const n = await step(trx, size);
            if (n > 0 && counts) await addErasureProgress(trx, job.id, n);
            return n;
          }),
        );
        if (counts) messages += erased;
        if (erased === 0) return true;
        await yieldToEventLoop();
      }
    };
    if (job.kind === 'chat') {
      const sizer = new ChunkSizer();
      if (!(await chunked(sizer, (trx, rows) => deleteChatMessagesChunk(trx, job.target_id, rows)))) return undefined;
      if (!(await chunked(sizer, (trx, rows) => deleteChatStreamEventsChunk(trx, job.target_id, rows), false))) return undefined;
      const finished = await this.finish(job.id, messages, (trx) => deleteChatRow(trx, job.target_id));
      this.touch(job.id, [job.target_id]);
      return finished;
    }
    const { selection, upToId } = JSON.parse(job.selection ?? '{}') as QueuedSelection;
    const erasedSelection = async (trx: Db, size: number) => {
      const erased = await deleteSelectionChunk(trx, selection, upToId, size);
      // Versions change chunk by chunk, as the rows go, so no reader keeps a stale one.
      const now = isoNow(this.clock);
      await bumpThreadVersions(trx, [...new Set(erased.map((r) => r.thread_id))], now);
      const chats = [...new Set(erased.map((r) => r.chat_id))];
      await bumpChatVersions(trx, chats, now);
      this.touch(job.id, chats);
      return erased.length;
    };
    // Feedback selections go a few whole threads at a time (erasure.repository.ts).
    const sizer = new ChunkSizer(selection.feedbackTypes === undefined ? 250 : 10);
    if (!(await chunked(sizer, erasedSelection))) return undefined;
    // The selection stayed readable while it was erased: answers stored meanwhile go too,
    // but the answer of the request that waits for this erasure, which shows only counts.
    const requester = job.pending_audit ? (JSON.parse(job.pending_audit) as PendingAudit).scope : { tenantId: job.tenant_id, requestId: job.id };
    return this.finish(job.id, messages, (trx) => redactStoredAnswers(trx, requester, isoNow(this.clock)));
  }

  /** Ends the job in one transaction with its last step and its audit entry, if still pending. */
  private async finish(jobId: string, messages: number, last?: (trx: Db) => Promise<unknown>): Promise<Finished> {
    return this.store.db.transaction().execute(async (trx) => {
      await last?.(trx);
      const auditEntry = await this.recordPendingAudit(trx, jobId, messages);
      await finishErasureJob(trx, jobId, isoNow(this.clock));
      return { messages, auditEntry };
    });
  }

  /**
   * An audit entry still pending at the end is recorded here with the count of what was
   * erased, every message counted once across restarts: a deleteMessages' always (only
   * the erasure knows how many rows it takes), a deleteChat's when its request
   * died between hiding the chat and counting it.
   */
  private async recordPendingAudit(trx: Db, jobId: string, erased: number): Promise<AuditEntry | undefined> {
    const pending = (await findErasureJob(trx, jobId))?.pending_audit;
    if (!pending) return undefined;
    const { scope, facts, at, countedAs } = JSON.parse(pending) as PendingAudit;
    // Entries left pending by a version before countedAs were all deleteChat's.
    const counted = { ...facts.details, [countedAs ?? 'deletedMessageCount']: erased };
    const auditEntry = await recordAudit(trx, scope, { ...facts, details: counted }, at);
    await setErasureTotal(trx, jobId, erased);
    return auditEntry;
  }

  private touch(jobId: string, chatIds: readonly string[]): void {
    const set = this.touched.get(jobId) ?? new Set<string>();
    for (const id of chatIds) set.add(id);
    this.touched.set(jobId, set);
  }
}
