import { deleteThread } from '../../../domain/delete-thread.ts';
import { Checker } from '../../../domain/validation.ts';
import { scopeOfRequest } from '../../authenticate.ts';
import { fastApiError } from '../fastapi-errors.ts';
import { jsonResponse, pathParam, queryParam } from '../openapi.ts';
import { type Problem, json } from '../problem.ts';
import { flag } from '../query.ts';
import type { RestRoute } from '../route-table.ts';

// Seed 002: DELETE /api/chat/threads/{thread_id} answering a camelCase ThreadDeleteResponse.

const fail = (problem: Problem) =>
  fastApiError(problem, (field) => (field === 'thread_id' ? 'path' : 'query'));

export const chatThreadRoutes: RestRoute[] = [
  {
    method: 'DELETE',
    path: '/api/chat/threads/{thread_id}',
    doc: {
      operationId: 'deleteChatThread',
      summary: 'Delete a conversation thread (deleteThread)',
      description:
        'Soft by default, as deleteThread: the thread is restorable until restoreUntil, then purged. ' +
        'permanent=true erases it at once.',
      tags: ['Chat threads (seed 002)'],
      parameters: [
        pathParam('thread_id', 'Thread identifier to delete'),
        queryParam('permanent', 'Erase at once instead of a restorable soft delete', { type: 'boolean' }),
        queryParam('expectedVersion', 'Answer 409 unless the thread is at this version', { type: 'integer' }),
      ],
      responses: {
        200: jsonResponse('ThreadDeleteResponse'),
        401: jsonResponse('Invalid or missing API key'),
        404: jsonResponse('Thread not found'),
        409: jsonResponse('Version mismatch, or a legal hold covers the thread (permanent=true; reason LEGAL_HOLD, hold_ids)'),
        422: jsonResponse('Validation Error (HTTPValidationError)'),
      },
    },
    fail,
    handle: async (ctx) => {
      const scope = await scopeOfRequest(ctx.deps, ctx.request, { need: 'delete' });
      const check = new Checker();
      const id = check.id(['thread_id'], ctx.params.thread_id ?? '');
      const permanent = flag(check, 'permanent', ctx.url.searchParams.get('permanent'));
      const expectedVersion = version(check, ctx.url.searchParams.get('expectedVersion'));
      check.done();
      const r = await deleteThread(ctx.deps, scope, { id, permanent, expectedVersion });
      // Only fields we can fill truthfully; the seed's others are left out.
      return json({
        status: 'success',
        message: r.permanent ? 'Thread permanently deleted' : 'Thread deleted; it can be restored until its restoreUntil',
        threadId: r.thread.id,
        deletedMessageCount: r.deletedMessageCount,
        deletedAt: r.deletedAt,
        deletedBy: r.deletedBy,
        softDelete: !r.permanent,
        permanentDelete: r.permanent,
        canRestore: !r.permanent,
        ...(r.restoreUntil !== null && { restoreUntil: r.restoreUntil }),
        ...(r.threadTitle !== null && { threadTitle: r.threadTitle }),
        requestId: r.requestId,
        operationDurationMs: r.operationDurationMs,
        timestamp: r.deletedAt,
        errors: [],
        warnings: [],
        errorCount: 0,
        warningCount: 0,
        auditLogId: r.auditEntry?.id,
        backupCreated: false,
      });
    },
  },
];

function version(check: Checker, raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    check.fail(['expectedVersion'], 'must be a positive integer');
    return undefined;
  }
  return n;
}
