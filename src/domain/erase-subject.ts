import { bumpChatVersions } from '../data/chats.repository.ts';
import { type MessageSelection, deleteSelection, flowsOfSubject, threadsOfSelection } from '../data/messages.repository.ts';
import { deleteTokenEventsOfSelection } from '../data/streams.repository.ts';
import { bumpThreadVersions } from '../data/threads.repository.ts';
import { type AuditEntry, recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import { noStreamWriting } from './delete-messages.ts';
import { type DeleteOptions, runDelete } from './delete-pipeline.ts';
import type { Deps } from './deps.ts';
import { receiptFor } from './erasure-receipts.ts';
import type { Scope } from './scope.ts';
import { Checker } from './validation.ts';

export interface EraseSubjectResult {
  sessionId: string;
  affected: number;
  flowCount: number;
  /** Null for a dry run. */
  auditEntry: AuditEntry | null;
  receiptId: string | null;
  dryRun: boolean;
}

/**
 * A data subject's erasure (GDPR Art. 17): every message of `sessionId` in every flow of
 * the tenant, those of soft-deleted threads too (they are still stored), with
 * deleteMessages(hardDelete)'s meaning: the cached stream events that carried their text,
 * and the copies at each flow's erasure targets. One transaction, one `subject.erase`
 * audit entry, one receipt. A legal hold on the session, or on a flow or chat holding one
 * of its messages, refuses it; so does a stream still writing to one of their threads.
 */
export async function eraseSubject(deps: Deps, scope: Scope, input: { sessionId: string } & DeleteOptions): Promise<EraseSubjectResult> {
  const check = new Checker();
  const sessionId = check.text(['sessionId'], input.sessionId);
  check.done();
  const now = isoNow(deps.clock);
  const selectionOf = (flowId: string): MessageSelection => ({ flowId, sessionId, withDeletedThreads: true });
  return runDelete(
    deps,
    scope,
    {
      find: async (trx) => (await flowsOfSubject(trx, scope.tenantId, sessionId)).map(selectionOf),
      erases: () => ({ kind: 'subject', sessionId }),
      check: async (trx, selections) => {
        for (const selection of selections) await noStreamWriting(trx, selection);
      },
      copies: (selections) => selections.map((selection) => ({ flowId: selection.flowId, erased: { kind: 'selection', selection } as const })),
      act: async (trx, selections) => {
        let affected = 0;
        let streamEvents = 0;
        const chatIds = new Set<string>();
        for (const selection of selections) {
          streamEvents += await deleteTokenEventsOfSelection(trx, selection);
          const touched = await threadsOfSelection(trx, selection);
          for (const t of touched) chatIds.add(t.chat_id);
          affected += await deleteSelection(trx, selection);
          await bumpThreadVersions(trx, [...new Set(touched.map((t) => t.thread_id))], now);
        }
        await bumpChatVersions(trx, [...chatIds], now);
        const flowIds = selections.map((s) => s.flowId);
        const auditEntry = await recordAudit(
          trx,
          scope,
          // A session is no resource of its own: the entry names its messages by the session id.
          { action: 'subject.erase', targetType: 'MESSAGE', targetId: sessionId, details: { sessionId, affected, erasedEventCount: streamEvents, flowIds } },
          now,
        );
        const receipt = receiptFor(auditEntry, { messages: affected, streamEvents });
        const result: EraseSubjectResult = { sessionId, affected, flowCount: flowIds.length, auditEntry, receiptId: receipt.id, dryRun: false };
        return {
          result,
          after: {
            at: now,
            erasure: affected > 0 ? 'now' : 'none',
            receipt,
            deleted: { message: affected, stream_event: streamEvents },
            chatEvents: [...chatIds].map((chatId) => ({ type: 'MESSAGES_DELETED', chatId, threadId: null, messageId: null, streamId: null, at: now }) as const),
          },
        };
      },
    },
    input,
  );
}
