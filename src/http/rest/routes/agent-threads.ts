import { deleteMessageOfThread } from '../../../domain/delete-messages.ts';
import { deleteThread } from '../../../domain/delete-thread.ts';
import { requireThread } from '../../../domain/threads.ts';
import { Checker } from '../../../domain/validation.ts';
import { scopeOfRequest } from '../../authenticate.ts';
import { agentV1Error, agentsApiError } from '../agents-errors.ts';
import { HARD_DELETE, PERMANENT, THREAD, deleted, openAiErrorResponse } from '../openai-docs.ts';
import { openAiApiError } from '../openai-errors.ts';
import { threadObject } from '../openai-objects.ts';
import { jsonResponse, pathParam, queryParam } from '../openapi.ts';
import { type Problem, json, withProblems } from '../problem.ts';
import { flag } from '../query.ts';
import type { RestContext, RestRoute } from '../route-table.ts';

// /threads: two families on the same routes. Azure's agents API (seed 004) always sends
// api-version (v1); OpenAI's SDK (beta.threads) never does. So no api-version is OpenAI's
// API, with its errors (src/http/rest/openai-errors.ts); a supported one is Azure's, with
// AgentV1Error (src/http/rest/agents-errors.ts), the routes' `fail`; any other is refused.
// Both answer the same bodies.

const API_VERSIONS = ['v1'];

const openAiFail = (problem: Problem) => openAiApiError(problem, { THREAD: 'thread', MESSAGE: 'message' });

function eitherFamily(handle: (ctx: RestContext) => Promise<Response>): (ctx: RestContext) => Promise<Response> {
  return async (ctx) => {
    const apiVersion = ctx.url.searchParams.get('api-version');
    if (apiVersion === null) return withProblems(openAiFail, () => handle(ctx));
    if (apiVersion === '') {
      const message = "Missing required query parameter 'api-version'.";
      return agentV1Error(400, 'missing_required_parameter', message, 'api-version', 'invalid_request_error');
    }
    if (!API_VERSIONS.includes(apiVersion)) {
      const message = `API version '${apiVersion}' is not supported; supported: ${API_VERSIONS.join(', ')}.`;
      return agentV1Error(400, 'unsupported_api_version', message, 'api-version', 'invalid_request_error');
    }
    return handle(ctx);
  };
}

const threadId = { ...pathParam('threadId', 'Identifier of the thread.'), schema: { type: 'string' } };
const apiVersion = queryParam(
  'api-version',
  "Azure's agents API version (v1). Without it the route is OpenAI's API (its SDK sends none); any other value answers 400.",
  { type: 'string', enum: API_VERSIONS },
);
const errors = {
  400: openAiErrorResponse('An unsupported api-version, or a malformed id or flag'),
  401: openAiErrorResponse('Invalid or missing API key'),
  404: openAiErrorResponse('No such thread (or message) in your tenant'),
};

export const agentThreadRoutes: RestRoute[] = [
  {
    method: 'GET',
    path: '/threads/{threadId}',
    doc: {
      operationId: 'getAgentThread',
      summary: 'Threads - Get Thread',
      tags: ['Agent threads (seed 004, OpenAI)'],
      parameters: [threadId, apiVersion],
      responses: { 200: jsonResponse('The thread (OpenAI thread object; AgentThread)', THREAD), ...errors },
    },
    fail: agentsApiError,
    handle: eitherFamily(async (ctx) => {
      const scope = await scopeOfRequest(ctx.deps, ctx.request, { need: 'read' });
      const check = new Checker();
      const id = check.id(['threadId'], ctx.params.threadId ?? '');
      check.done();
      return json(threadObject(await requireThread(ctx.deps, scope, id)));
    }),
  },
  {
    method: 'DELETE',
    path: '/threads/{threadId}',
    doc: {
      operationId: 'deleteAgentThread',
      summary: 'Threads - Delete Thread (deleteThread)',
      description: 'Soft by default, as deleteThread (restorable until its restoreUntil); permanent=true erases at once.',
      tags: ['Agent threads (seed 004, OpenAI)'],
      parameters: [threadId, apiVersion, PERMANENT],
      responses: {
        200: jsonResponse('ThreadDeletionStatus', deleted('thread.deleted')),
        ...errors,
        409: openAiErrorResponse('A legal hold covers the thread (permanent=true; code legal_hold, x-should-retry: false)'),
      },
    },
    fail: agentsApiError,
    handle: eitherFamily(async (ctx) => {
      const scope = await scopeOfRequest(ctx.deps, ctx.request, { need: 'delete' });
      const check = new Checker();
      const id = check.id(['threadId'], ctx.params.threadId ?? '');
      const permanent = flag(check, 'permanent', ctx.url.searchParams.get('permanent'));
      check.done();
      const result = await deleteThread(ctx.deps, scope, { id, permanent });
      return json({ id: result.thread.id, deleted: true, object: 'thread.deleted' });
    }),
  },
  {
    method: 'DELETE',
    path: '/threads/{threadId}/messages/{messageId}',
    doc: {
      operationId: 'deleteAgentThreadMessage',
      summary: 'Messages - Delete Message (deleteMessages of one message)',
      description: "Erases the message from our rows at once, as deleteMessages does; hardDelete=true also erases its copies.",
      tags: ['Agent threads (seed 004, OpenAI)'],
      parameters: [
        threadId,
        { ...pathParam('messageId', 'Identifier of the message.'), schema: { type: 'string' } },
        apiVersion,
        HARD_DELETE,
      ],
      responses: {
        200: jsonResponse('MessageDeletionStatus', deleted('thread.message.deleted')),
        ...errors,
        409: openAiErrorResponse('A legal hold covers the message (code legal_hold), or a stream is writing to the thread'),
      },
    },
    fail: agentsApiError,
    handle: eitherFamily(async (ctx) => {
      const scope = await scopeOfRequest(ctx.deps, ctx.request, { need: 'delete' });
      const check = new Checker();
      const thread = check.id(['threadId'], ctx.params.threadId ?? '');
      const messageId = check.id(['messageId'], ctx.params.messageId ?? '');
      const hardDelete = flag(check, 'hardDelete', ctx.url.searchParams.get('hardDelete'));
      check.done();
      await deleteMessageOfThread(ctx.deps, scope, { threadId: thread, messageId, hardDelete });
      return json({ id: messageId, deleted: true, object: 'thread.message.deleted' });
    }),
  },
];
