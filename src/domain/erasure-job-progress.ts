import { setTimeout as sleep } from 'node:timers/promises';
import { Repeater } from '@repeaterjs/repeater';
import { findTenantErasureJob } from '../data/erasure.repository.ts';
import type { ErasureJobRow } from '../data/tables.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { NotFoundError } from './errors.ts';
import { Checker, isId } from './validation.ts';

export interface ErasureJob {
  id: string;
  kind: ErasureJobRow['kind'];
  /** The chat, or the flow of a deleteMessages. */
  targetId: string;
  total: number;
  done: number;
  createdAt: string;
  finishedAt: string | null;
}

// The selection and the pending audit entry are the queue's own business, so they stay in the row.
function erasureJobOf(row: ErasureJobRow): ErasureJob {
  return {
    id: row.id,
    kind: row.kind,
    targetId: row.target_id,
    total: row.total,
    done: row.done,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}

/** How often a watcher reads a job's progress: the database is the one place every replica sees. */
const POLL_MS = 250;

export async function getErasureJob(deps: Deps, scope: Scope, id: string): Promise<ErasureJob | undefined> {
  const row = isId(id) ? await findTenantErasureJob(deps.store.db, scope.tenantId, id) : undefined;
  return row && erasureJobOf(row);
}

/** The job's progress now and whenever it changes, ending once it has finished. */
export async function watchErasureJob(deps: Deps, scope: Scope, id: string): Promise<AsyncIterableIterator<ErasureJob>> {
  const check = new Checker();
  check.id(['id'], id);
  check.done();
  const first = await getErasureJob(deps, scope, id);
  if (!first) throw new NotFoundError('DELETION_JOB', id);
  return new Repeater<ErasureJob>(async (push, stop) => {
    let stopped = false;
    void stop.then(() => (stopped = true));
    let last = first;
    await push(first);
    while (last.finishedAt === null && !stopped) {
      await Promise.race([sleep(POLL_MS), stop]);
      if (stopped) break;
      const now = await getErasureJob(deps, scope, id);
      if (!now) break;
      if (now.done !== last.done || now.finishedAt !== last.finishedAt) await push(now);
      last = now;
    }
    stop();
  });
}
