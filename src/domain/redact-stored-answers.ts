import { redactIdempotentAnswers } from '../data/idempotency.repository.ts';
import type { Db } from '../data/db.ts';
import type { Scope } from './scope.ts';

/**
 * Takes away the tenant's stored Idempotency-Key answers; every permanent erasure calls it
 * in its own transaction, so the answers go with the rows and under the same checkpoint.
 * A GraphQL answer can reach any content of its tenant through nested fields (a posted
 * message's thread's chat's threads' messages), so no record of what a request named or
 * an answer held tells which answers showed the erased rows, and an arbitrary selection
 * cannot be re-read for a retry: every answer of the tenant goes. The keys stay claimed,
 * so a retry is told the request ran instead of running it again. The tenant's other
 * requests still running may have read the rows before they went: their answers will be
 * stored without a body. The erasing request's own answer is stored, and so echoes no
 * erased content (a permanent deleteThread answers without the thread's title).
 */
export async function redactStoredAnswers(trx: Db, scope: Pick<Scope, 'tenantId' | 'requestId'>, at: string): Promise<void> {
  await redactIdempotentAnswers(trx, scope.tenantId, scope.requestId, at);
}
