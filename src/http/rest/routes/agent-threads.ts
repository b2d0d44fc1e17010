import { deleteThread } from '../../../domain/delete-thread.ts';
import { Checker } from '../../../domain/validation.ts';
import { scopeOfRequest } from '../../authenticate.ts';
import { jsonResponse, pathParam, queryParam } from '../openapi.ts';
import { type Problem, json } from '../problem.ts';
import { flag } from '../query.ts';
import type { RestRoute } from '../route-table.ts';

// Seed 004: the agents API's DELETE /threads/{threadId}?api-version=v1, errors as AgentV1Error.

const API_VERSIONS = ['v1'];

function agentError(
  status: number,
  code: string,
  message: string,
  param: string | null,
  type: string,
  headers?: Record<string, string>,
): Response {
  return json({ error: { code, message, param, type } }, status, headers);
}

function fail(problem: Problem): Response {
  switch (problem.kind) {
    case 'unauthenticated':
      return agentError(401, 'unauthorized', problem.message, null, 'authentication_error');
    case 'not-found':
      return agentError(404, 'not_found', `No thread found with id '${problem.id}'.`, 'threadId', 'invalid_request_error');
    case 'conflict':
      return agentError(409, 'conflict', problem.message, null, 'invalid_request_error');
    case 'forbidden':
      return agentError(403, 'forbidden', problem.message, null, 'permission_error');
    case 'internal':
      return agentError(500, 'server_error', problem.message, null, 'server_error');
    case 'refused': {
      const type = problem.status === 429 ? 'rate_limit_error' : 'invalid_request_error';
      return agentError(problem.status, problem.code.toLowerCase(), problem.message, null, type, problem.headers);
    }
    case 'invalid': {
      const message = problem.fieldErrors.map((e) => `${e.path.join('.')} ${e.message}`).join('; ');
      return agentError(400, 'invalid_value', message, problem.fieldErrors[0]?.path.join('.') ?? null, 'invalid_request_error');
    }
  }
}

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
      },
    },
    fail,
    handle: async (ctx) => {
      const scope = await scopeOfRequest(ctx.deps, ctx.request, { need: 'delete' });
      const apiVersion = ctx.url.searchParams.get('api-version');
      if (!apiVersion) {
        const message = "Missing required query parameter 'api-version'.";
        return agentError(400, 'missing_required_parameter', message, 'api-version', 'invalid_request_error');
      }
      if (!API_VERSIONS.includes(apiVersion)) {
        const message = `API version '${apiVersion}' is not supported; supported: ${API_VERSIONS.join(', ')}.`;
        return agentError(400, 'unsupported_api_version', message, 'api-version', 'invalid_request_error');
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
