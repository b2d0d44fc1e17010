import { deleteMessages } from '../../../domain/delete-messages.ts';
import { FILTER_CHOICES, type MessageFilterInput } from '../../../domain/message-filter.ts';
import { Checker, isId } from '../../../domain/validation.ts';
import { scopeOfRequest } from '../../authenticate.ts';
import { jsonResponse, pathParam, queryParam } from '../openapi.ts';
import { flowiseApiError, flowiseError } from '../flowise-errors.ts';
import { type Problem, json } from '../problem.ts';
import { flag, list } from '../query.ts';
import type { RestContext, RestRoute } from '../route-table.ts';

// Seed 003: Flowise's DELETE /api/v1/chatmessage/{id}; errors as Flowise answers them.

const fail = (problem: Problem) => flowiseApiError(problem, queryName);

// The query name of each filter field: the domain (src/domain/message-filter.ts) names the
// fields as GraphQL does, a Flowise client knows these. Reading the filter and naming its
// errors both go through this table, so the two cannot disagree.
const QUERY_NAMES = {
  chatId: 'chatId',
  threadId: 'threadId',
  sessionId: 'sessionId',
  memoryType: 'memoryType',
  chatTypes: 'chatType',
  feedbackTypes: 'feedbackType',
  startDate: 'startDate',
  endDate: 'endDate',
} as const satisfies Record<keyof MessageFilterInput, string>;

type FilterField = keyof typeof QUERY_NAMES;

/** The filter as the query gives it: list fields parsed, every other rule left to the domain. */
function readFilter(check: Checker, q: URLSearchParams): MessageFilterInput {
  const choices: Partial<Record<FilterField, readonly string[]>> = FILTER_CHOICES;
  const fields = Object.entries(QUERY_NAMES).map(([field, name]) => {
    const allowed = choices[field as FilterField];
    return [field, allowed ? list(check, ['filter', field], q.getAll(name), allowed) : (q.get(name) ?? undefined)];
  });
  return Object.fromEntries(fields) as MessageFilterInput;
}

/** A filter field is named as the query names it; anything else by its own path. */
function queryName(path: string[]): string {
  return path[0] === 'filter' ? QUERY_NAMES[path[1] as FilterField] : path.join('.');
}

async function handle(ctx: RestContext): Promise<Response> {
  const scope = await scopeOfRequest(ctx.deps, ctx.request, { need: 'delete' });
  const flowId = ctx.params.id ?? '';
  if (flowId === '') return flowiseError(412, 'chatflowid not provided!');
  // Flowise answers 404 for any id that names no chatflow; one that is not even an id is one.
  if (!isId(flowId)) return flowiseError(404, `Chatflow ${flowId} not found`);
  const q = ctx.url.searchParams;
  const check = new Checker();
  const filter = readFilter(check, q);
  const hardDelete = flag(check, 'hardDelete', q.get('hardDelete'));
  // Accepted for compatibility; it only tells where the client's dialog was.
  flag(check, 'isClearFromViewMessageDialog', q.get('isClearFromViewMessageDialog'));
  check.done();
  const result = await deleteMessages(ctx.deps, scope, { flowId, filter, hardDelete });
  return json({ affected: result.affected, raw: [] });
}

const DELETED = { type: 'object', properties: { affected: { type: 'integer' }, raw: { type: 'array' } } };

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
          items: { enum: FILTER_CHOICES.chatTypes },
        }),
        queryParam('startDate', 'Created at or after (ISO 8601; a bare date is the start of that day)'),
        queryParam('endDate', 'Created at or before (ISO 8601; a bare date is the end of that day)'),
        queryParam('feedbackType', 'THUMBS_UP and/or THUMBS_DOWN: the rated messages and the questions that prompted them', {
          type: 'array',
          items: { enum: FILTER_CHOICES.feedbackTypes },
        }),
        queryParam('hardDelete', 'Also erase the cached stream events that carried the text', { type: 'boolean' }),
        queryParam('isClearFromViewMessageDialog', 'Accepted for compatibility; no effect', { type: 'boolean' }),
      ],
      responses: {
        200: jsonResponse('Deleted', DELETED),
        400: jsonResponse('A query value is malformed (a bad date, an unknown chatType, hardDelete=maybe)'),
        401: jsonResponse('Unauthorized - Invalid or missing API key'),
        404: jsonResponse('Not Found - Chatflow with specified ID not found'),
        409: jsonResponse('A stream is still writing to a thread of these messages, or a legal hold covers some of them'),
        412: jsonResponse('Precondition Failed - Missing required ID parameter'),
      },
    },
    fail,
    handle,
  },
  {
    method: 'DELETE',
    path: '/api/v1/chatmessage',
    // Flowise answers a delete without a flow id 412; the route is kept for those clients,
    // and left out of /openapi.json, where its only answer would be an error.
    doc: null,
    fail,
    handle,
  },
];
