import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { deleteChatRow } from '../data/chats.repository.ts';
import {
  addErasureProgress,
  deleteChatMessagesChunk,
  deleteChatStreamEventsChunk,
  deleteFinishedErasureJobs,
  deleteSelectionChunk,
  finishErasureJob,
  findErasureJob,
  oldestErasureJob,
} from '../data/erasure.repository.ts';
import type { MessageSelection } from '../data/messages.repository.ts';
import type { DataStore, Db } from '../data/open-database.ts';
import type { ErasureJobRow } from '../data/tables.ts';
import { type Clock, isoNow } from './clock.ts';

/** Rows erased per transaction: small enough that no statement holds the event loop for long. */
export const ERASE_CHUNK = 250;
/** Up to this many messages a delete erases inside its own transaction; beyond, it queues a job. */
export const ERASE_INLINE_LIMIT = 5000;

/** What a 'messages' job erases: the selection, up to the last id it matched when asked. */
export interface QueuedSelection {
  selection: MessageSelection;
  upToId: string;
}

/**
 * Works through the durable erasure queue (erasure_jobs) in bounded chunks, each in its
 * own short transaction, yielding to the event loop between them, so a delete of a
 * million rows never freezes the server. Jobs left by a crash are resumed at start-up.
 */
export class Eraser {
  private running: Promise<void> | undefined;
  private stopped = false;
  private again = false;
  private readonly finished = new Map<string, Array<(erased: number) => void>>();

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

  /**
   * Resolves with the number of rows the job erased once it is done (or with what it had
   * erased by then at shutdown, when it resumes on the next start).
   */
  whenDone(jobId: string): Promise<number> {
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
      for (const resolve of resolvers) resolve(job?.done ?? 0);
    }
    this.finished.clear();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const job = await oldestErasureJob(this.store.db);
      if (!job) return;
      const erased = await this.erase(job);
      if (erased === undefined) return;
      await this.store.flushErasure();
      for (const resolve of this.finished.get(job.id) ?? []) resolve(erased);
      this.finished.delete(job.id);
    }
  }

  /**
   * Erases one job chunk by chunk and answers how many messages it erased in all (across
   * restarts); undefined when stopped half-way (the job stays queued).
   */
  private async erase(job: ErasureJobRow): Promise<number | undefined> {
    const db = this.store.db;
    let messages = job.done;
    // Progress (done/total) counts messages; the chat's cached events go uncounted.
    const chunked = async (step: (trx: Db) => Promise<number>, counts = true): Promise<boolean> => {
      for (;;) {
        if (this.stopped) return false;
        const erased = await db.transaction().execute(async (trx) => {
          const n = await step(trx);
          if (n > 0 && counts) await addErasureProgress(trx, job.id, n);
          return n;
        });
        if (counts) messages += erased;
        if (erased === 0) return true;
        await yieldToEventLoop();
      }
    };
    if (job.kind === 'chat') {
      if (!(await chunked((trx) => deleteChatMessagesChunk(trx, job.target_id, ERASE_CHUNK)))) return undefined;
      if (!(await chunked((trx) => deleteChatStreamEventsChunk(trx, job.target_id, ERASE_CHUNK), false))) return undefined;
      await db.transaction().execute(async (trx) => {
        await deleteChatRow(trx, job.target_id);
        await finishErasureJob(trx, job.id, isoNow(this.clock));
      });
      return messages;
    }
    const { selection, upToId } = JSON.parse(job.selection ?? '{}') as QueuedSelection;
    if (!(await chunked((trx) => deleteSelectionChunk(trx, selection, upToId, ERASE_CHUNK)))) return undefined;
    await finishErasureJob(db, job.id, isoNow(this.clock));
    return messages;
  }
}
