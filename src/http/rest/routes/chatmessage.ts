import { deleteMessages } from '../../../domain/delete-messages.ts';
import { Checker, isId } from '../../../domain/validation.ts';
import { scopeOfRequest } from '../../authenticate.ts';
import { jsonResponse, pathParam, queryParam } from '../openapi.ts';
import { type Problem, json } from '../problem.ts';
import { flag, list } from '../query.ts';
import type { RestContext, RestRoute } from '../route-table.ts';

// Seed 003: Flowise's DELETE /api/v1/chatmessage/{id}; errors as Flowise answers them.

function flowiseError(statusCode: number, message: string, headers?: Record<string, string>): Response {
  return json({ statusCode, success: false, message }, statusCode, headers);
}

function fail(problem: Problem): Response {
  switch (problem.kind) {
    case 'unauthenticated':
      return flowiseError(401, 'Unauthorized Access');
    case 'not-found':
      return flowiseError(404, `Chatflow ${problem.id} not found`);
    case 'conflict':
      return flowiseError(409, problem.message);
    case 'invalid': {
      // A bad query value is the client's error (400), never a silent match-all.
      const named = problem.fieldErrors.map((e) => `${queryName(e.path)}: ${e.message}`);
      return flowiseError(400, `Invalid query: ${named.join('; ')}`);
    }
    case 'forbidden':
      return flowiseError(403, problem.message);
    case 'internal':
      return flowiseError(500, 'Error clearing chat messages');
    case 'refused':
      return flowiseError(problem.status, problem.message, problem.headers);
  }
}

// The domain names filter fields as GraphQL does; a Flowise client knows the query names.
const QUERY_NAMES: Record<string, string> = { chatTypes: 'chatType', feedbackTypes: 'feedbackType' };
function queryName(path: string[]): string {
  const field = path[0] === 'filter' ? (path[1] ?? '') : path.join('.');
  return QUERY_NAMES[field] ?? field;
}

const CHAT_TYPES = ['INTERNAL', 'EXTERNAL'] as const;
const FEEDBACK_TYPES = ['THUMBS_UP', 'THUMBS_DOWN'] as const;

async function handle(ctx: RestContext): Promise<Response> {
  const scope = await scopeOfRequest(ctx.deps, ctx.request, { need: 'delete' });
  const flowId = ctx.params.id ?? '';
  if (flowId === '') return flowiseError(412, 'chatflowid not provided!');
  // Flowise answers 404 for any id that names no chatflow; one that is not even an id is one.
  if (!isId(flowId)) return flowiseError(404, `Chatflow ${flowId} not found`);
  const q = ctx.url.searchParams;
  const check = new Checker();
  const text = (name: string) => q.get(name) ?? undefined;
  const filter = {
    chatId: text('chatId'),
    threadId: text('threadId'),
    sessionId: text('sessionId'),
    memoryType: text('memoryType'),
    chatTypes: list(check, 'chatType', q.getAll('chatType'), CHAT_TYPES),
    feedbackTypes: list(check, 'feedbackType', q.getAll('feedbackType'), FEEDBACK_TYPES),
    startDate: text('startDate'),
    endDate: text('endDate'),
  };
  const hardDelete = flag(check, 'hardDelete', q.get('hardDelete'));
  // Accepted for compatibility; it only tells where the client's dialog was.
  flag(check, 'isClearFromViewMessageDialog', q.get('isClearFromViewMessageDialog'));
  check.done();
  const result = await deleteMessages(ctx.deps, scope, { flowId, filter, hardDelete });
  return json({ affected: result.affected, raw: [] });
}

export const chatMessageRoutes: RestRoute[] = [
  {
    method: 'DELETE',
    path: '/api/v1/chatmessage/{id}',
    doc: {
      operationId: 'deleteChatMessages',
      summary: 'Delete chat messages of a chatflow or agentflow (deleteMessages)',
      tags: ['Chat messages (seed 003)'],
      parameters: [
        pathParam('id', 'The chatflow or agentflow ID to delete messages from'),
        queryParam('chatId', 'Only messages of this chat'),
        queryParam('threadId', 'Only messages of this thread'),
        queryParam('memoryType', 'Only messages with this memory type'),
        queryParam('sessionId', 'Only messages of this session'),
        queryParam('chatType', 'INTERNAL and/or EXTERNAL: repeated, comma-separated or a JSON array', {
          type: 'array',
          items: { enum: CHAT_TYPES },
        }),
        queryParam('startDate', 'Created at or after (ISO 8601; a bare date is the start of that day)'),
        queryParam('endDate', 'Created at or before (ISO 8601; a bare date is the end of that day)'),
        queryParam('feedbackType', 'THUMBS_UP and/or THUMBS_DOWN: the rated messages and the questions that prompted them', {
          type: 'array',
          items: { enum: FEEDBACK_TYPES },
        }),
        queryParam('hardDelete', 'Also erase the cached stream events that carried the text', { type: 'boolean' }),
        queryParam('isClearFromViewMessageDialog', 'Accepted for compatibility; no effect', { type: 'boolean' }),
      ],
      responses: {
        200: jsonResponse('Deleted', {
          type: 'object',
          properties: { affected: { type: 'integer' }, raw: { type: 'array' } },
        }),
        400: jsonResponse('A query value is malformed (a bad date, an unknown chatType, hardDelete=maybe)'),
        401: jsonResponse('Unauthorized - Invalid or missing API key'),
        404: jsonResponse('Not Found - Chatflow with specified ID not found'),
        409: jsonResponse('A stream is still writing to a thread of these messages'),
        412: jsonResponse('Precondition Failed - Missing required ID parameter'),
      },
    },
    fail,
    handle,
  },
  {
    method: 'DELETE',
    path: '/api/v1/chatmessage',
    doc: {
      operationId: 'deleteChatMessagesWithoutId',
      summary: 'Without a flow id: 412, as Flowise answers',
      tags: ['Chat messages (seed 003)'],
      responses: { 412: jsonResponse('Precondition Failed - Missing required ID parameter') },
    },
    fail,
    handle,
  },
];
