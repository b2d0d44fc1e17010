import { redactIdempotentAnswers } from '../data/idempotency.repository.ts';
import type { Db } from '../data/open-database.ts';

/**
 * Takes away the tenant's stored Idempotency-Key answers; every permanent erasure calls it
 * in its own transaction, so the answers go with the rows and under the same checkpoint.
 * A GraphQL answer can reach any content of its tenant through nested fields (a posted
 * message's thread's chat's threads' messages), so no record of what a request named or
 * an answer held tells which answers showed the erased rows, and an arbitrary selection
 * cannot be re-read for a retry: every answer of the tenant goes. The keys stay claimed,
 * so a retry is told the request ran instead of running it again.
 */
export async function redactStoredAnswers(trx: Db, tenantId: string, at: string): Promise<void> {
  await redactIdempotentAnswers(trx, tenantId, at);
}
