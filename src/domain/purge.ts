import { countMessagesByThread } from '../data/messages.repository.ts';
import { countExpiredThreads, deleteThreadRow, findExpiredThreads, findThreads } from '../data/threads.repository.ts';
import { countStreamsOf } from '../data/erased-rows.repository.ts';
import { recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import { copiesToErase, receiptFor, writeReceipt } from './erasure-receipts.ts';
import { newId } from './ids.ts';
import { isHeld } from './legal-holds.ts';
import { redactStoredAnswers } from './redact-stored-answers.ts';

/** The audit actor of erasures nobody asked for at that moment. */
export const PURGE_ACTOR = 'system:purge';

/** How many soft-deleted threads a purge would erase now (progress). */
export async function countPurgeable(deps: Pick<Deps, 'store' | 'clock'>): Promise<number> {
  return countExpiredThreads(deps.store.db, isoNow(deps.clock));
}

/** What a purge did: threads erased, and threads past their window that a legal hold keeps. */
export interface PurgeOutcome {
  purged: number;
  held: number;
}

/**
 * Erases soft-deleted threads whose restore window has passed, one thread per
 * transaction so a long backlog never holds the database for long. A thread a legal hold
 * covers stays, soft-deleted, until the hold is released; it is counted, not erased.
 */
export async function purgeExpiredThreads(
  deps: Pick<Deps, 'store' | 'clock' | 'deletions' | 'settings' | 'outbox'>,
  onProgress?: (purged: number) => void,
): Promise<PurgeOutcome> {
  const requestId = newId();
  let purged = 0;
  let held = 0;
  let after: { restoreUntil: string; id: string } | undefined;
  for (;;) {
    const now = isoNow(deps.clock);
    const batch = await findExpiredThreads(deps.store.db, now, 100, after);
    if (batch.length === 0) break;
    const last = batch.at(-1)!;
    after = { restoreUntil: last.restore_until!, id: last.id };
    for (const thread of batch) {
      const erased = await deps.store.db.transaction().execute(async (trx) => {
        // A restore may have won the race since the batch was read.
        const [current] = await findThreads(trx, thread.tenant_id, [thread.id], true);
        if (!current?.restore_until || current.restore_until > now) return undefined;
        if (await isHeld(trx, thread.tenant_id, { kind: 'thread', threadId: thread.id, chatId: current.chat_id })) return 'held';
        const deletedMessageCount = (await countMessagesByThread(trx, [thread.id])).get(thread.id) ?? 0;
        const erased = { kind: 'thread', threadId: thread.id, chatId: current.chat_id } as const;
        const copies = await copiesToErase(trx, thread.tenant_id, current.flow_id, erased);
        const streams = await countStreamsOf(trx, { threadId: thread.id });
        await deleteThreadRow(trx, thread.id);
        await redactStoredAnswers(trx, { tenantId: thread.tenant_id, requestId }, now);
        const entry = await recordAudit(
          trx,
          { tenantId: thread.tenant_id, actor: PURGE_ACTOR, requestId },
          {
            action: 'thread.purge',
            targetType: 'THREAD',
            targetId: thread.id,
            details: { deletedMessageCount, deletedAt: thread.deleted_at, restoreUntil: thread.restore_until },
          },
          now,
        );
        const receipt = receiptFor(entry, { threads: 1, messages: deletedMessageCount, ...streams });
        const entries = await writeReceipt(trx, { tenantId: thread.tenant_id }, receipt, copies ? [copies] : [], now, deps.settings);
        const notice = { receiptId: receipt.id, action: receipt.action, targetType: 'THREAD', targetId: thread.id, requestId, copies: entries.length };
        return { deletedMessageCount, notice, entries };
      });
      if (erased === 'held') {
        held += 1;
        continue;
      }
      if (erased === undefined) continue;
      deps.outbox.deliver(erased.entries);
      deps.deletions.receipted(erased.notice);
      deps.deletions.deleted('thread', 1);
      deps.deletions.deleted('message', erased.deletedMessageCount);
      purged += 1;
      onProgress?.(purged);
    }
  }
  if (purged > 0) await deps.store.flushErasure();
  return { purged, held };
}
