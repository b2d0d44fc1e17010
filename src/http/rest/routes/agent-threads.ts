import { deleteThread } from '../../../domain/delete-thread.ts';
import { Checker } from '../../../domain/validation.ts';
import { scopeOfRequest } from '../../authenticate.ts';
import { agentV1Error, agentsApiError } from '../agents-errors.ts';
import { jsonResponse, pathParam, queryParam } from '../openapi.ts';
import { json } from '../problem.ts';
import { flag } from '../query.ts';
import type { RestRoute } from '../route-table.ts';

// Seed 004: the agents API's DELETE /threads/{threadId}?api-version=v1, errors as AgentV1Error
// (src/http/rest/agents-errors.ts).

const API_VERSIONS = ['v1'];

export const agentThreadRoutes: RestRoute[] = [
  {
    method: 'DELETE',
    path: '/threads/{threadId}',
    doc: {
      operationId: 'deleteAgentThread',
      summary: 'Threads - Delete Thread (deleteThread)',
      description: 'Soft by default, as deleteThread; permanent=true erases at once.',
      tags: ['Agent threads (seed 004)'],
      parameters: [
        { ...pathParam('threadId', 'Identifier of the thread.'), schema: { type: 'string' } },
        { ...queryParam('api-version', 'The API version to use for this operation.', { type: 'string', enum: API_VERSIONS }), required: true },
        queryParam('permanent', 'Erase at once instead of a restorable soft delete', { type: 'boolean' }),
      ],
      responses: {
        200: jsonResponse('ThreadDeletionStatus', {
          type: 'object',
          properties: { id: { type: 'string' }, deleted: { type: 'boolean' }, object: { const: 'thread.deleted' } },
        }),
        400: jsonResponse('AgentV1Error: a missing or unsupported api-version, or a malformed id'),
        401: jsonResponse('AgentV1Error: invalid or missing API key'),
        404: jsonResponse('AgentV1Error: no such thread'),
        409: jsonResponse("AgentV1Error: a legal hold covers the thread (permanent=true; code legal_hold)"),
      },
    },
    fail: agentsApiError,
    handle: async (ctx) => {
      const scope = await scopeOfRequest(ctx.deps, ctx.request, { need: 'delete' });
      const apiVersion = ctx.url.searchParams.get('api-version');
      if (!apiVersion) {
        const message = "Missing required query parameter 'api-version'.";
        return agentV1Error(400, 'missing_required_parameter', message, 'api-version', 'invalid_request_error');
      }
      if (!API_VERSIONS.includes(apiVersion)) {
        const message = `API version '${apiVersion}' is not supported; supported: ${API_VERSIONS.join(', ')}.`;
        return agentV1Error(400, 'unsupported_api_version', message, 'api-version', 'invalid_request_error');
      }
      const check = new Checker();
      const id = check.id(['threadId'], ctx.params.threadId ?? '');
      const permanent = flag(check, 'permanent', ctx.url.searchParams.get('permanent'));
      check.done();
      const result = await deleteThread(ctx.deps, scope, { id, permanent });
      return json({ id: result.thread.id, deleted: true, object: 'thread.deleted' });
    },
  },
];
