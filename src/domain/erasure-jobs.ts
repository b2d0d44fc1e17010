import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { bumpChatVersions, deleteChatRow } from '../data/chats.repository.ts';
import {
  addErasureProgress,
  insertErasureJob,
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
import { updateQueuedReceipt } from '../data/receipts.repository.ts';
import { bumpThreadVersions } from '../data/threads.repository.ts';
import { type AuditEntry, type AuditFacts, recordAudit } from './audit.ts';
import { ChunkSizer } from './chunk-sizer.ts';
import { type Clock, isoNow } from './clock.ts';
import { newId } from './ids.ts';
import { redactStoredAnswers } from './redact-stored-answers.ts';
import type { Scope } from './scope.ts';

// The life of an erasure job: the durable queue (table erasure_jobs) that erases what a
// delete was too large to erase in its own transaction.
//
// Crash safety rests on one rule: every change of a job's state commits in the same
// transaction as the rows it describes. The job is created in the transaction that hides
// its chat (or, for a message selection, that decides to queue it), so a delete that
// committed always has its job; each chunk's rows and the job's progress commit together;
// and the job's end (the last rows, its audit entry if still pending, finished_at)
// commits as one. A crash at any point therefore leaves a job that is either finished or
// resumes where it stopped: every unfinished job is taken up again at start-up, and an
// audit entry still pending is recorded with the count of what was erased across runs.
//
// The request that queued a chat's job counts the hidden messages before the queue may
// start (`hold` until `release`), so the answer and the audit entry carry the exact count;
// should that request die first, the job's pending audit entry is recorded by the queue.

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

/** An audit entry a job's request left to be recorded later, with what it will count by then. */
interface PendingAudit {
  scope: Pick<Scope, 'tenantId' | 'actor' | 'requestId'>;
  facts: AuditFacts;
  at: string;
  /** The detail that receives the number of messages erased, once known. */
  countedAs: string;
}

/** The audit entry of a queued erasure, kept with its job until the count is known. */
function pendingAudit(scope: PendingAudit['scope'], facts: AuditFacts, at: string, countedAs: string): string {
  const pending: PendingAudit = { scope: { tenantId: scope.tenantId, actor: scope.actor, requestId: scope.requestId }, facts, at, countedAs };
  return JSON.stringify(pending);
}

/** Queues the erasure of a hidden chat's rows; its audit entry waits in the job until counted. */
export async function queueChatErasure(
  trx: Db,
  job: { id: string; scope: Scope; chatId: string; facts: AuditFacts; at: string },
): Promise<void> {
  await insertErasureJob(trx, {
    id: job.id,
    tenant_id: job.scope.tenantId,
    kind: 'chat',
    target_id: job.chatId,
    selection: null,
    total: 0,
    done: 0,
    created_at: job.at,
    finished_at: null,
    pending_audit: pendingAudit(job.scope, job.facts, job.at, 'deletedMessageCount'),
  });
}

/**
 * Queues a large message selection, up to an id taken now: ids grow with time, so
 * messages posted meanwhile are never swept up. How many rows it takes is known only as
 * it ends (rows may stop matching before their chunk comes), so the audit entry waits in
 * the job and is recorded with that count, as `countedAs`.
 */
export async function queueSelectionErasure(
  trx: Db,
  job: { scope: Scope; selection: MessageSelection; facts: AuditFacts; countedAs: string; at: string },
): Promise<string> {
  const id = newId();
  const queued: QueuedSelection = { selection: job.selection, upToId: newId() };
  await insertErasureJob(trx, {
    id,
    tenant_id: job.scope.tenantId,
    kind: 'messages',
    target_id: job.selection.flowId,
    selection: JSON.stringify(queued),
    total: 0,
    done: 0,
    created_at: job.at,
    finished_at: null,
    pending_audit: pendingAudit(job.scope, job.facts, job.at, job.countedAs),
  });
  return id;
}

/**
 * The request that queued a chat's job records its audit entry once it has counted the
 * hidden messages, and the job's total with it; the entry is then no longer pending.
 */
export async function recordCountedChat(
  db: Db,
  job: { id: string; scope: Scope; facts: AuditFacts; at: string; messages: number },
): Promise<AuditEntry> {
  return db.transaction().execute(async (trx) => {
    await setErasureTotal(trx, job.id, job.messages);
    await updateQueuedReceipt(trx, job.id, job.messages, null);
    return recordAudit(trx, job.scope, job.facts, job.at);
  });
}

/**
 * Works through the durable erasure queue in bounded chunks, each in its own short
 * transaction, yielding to the event loop between them, so a delete of a million rows
 * never freezes the server. Jobs left by a crash are resumed at start-up (`kick`).
 */
export class ErasureJobs {
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
    const sizer = selection.feedbackTypes === undefined ? new ChunkSizer() : new ChunkSizer(10, 1);
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
      const now = isoNow(this.clock);
      await finishErasureJob(trx, jobId, now);
      await updateQueuedReceipt(trx, jobId, messages, now);
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
