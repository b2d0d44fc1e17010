import { ndjsonChunks, openChatExport } from '../../../domain/chat-export.ts';
import { deleteChat } from '../../../domain/delete-chat.ts';
import { messageCountsOfChats, requireChat } from '../../../domain/chats.ts';
import { Checker } from '../../../domain/validation.ts';
import { isDomainError } from '../../../domain/errors.ts';
import type { Permission } from '../../../domain/api-keys.ts';
import { scopeOfRequest } from '../../authenticate.ts';
import { jsonResponse, pathParam, queryParam } from '../openapi.ts';
import { flag } from '../query.ts';
import { fastApiError } from '../fastapi-errors.ts';
import { ndjsonResponse } from '../ndjson.ts';
import { type Problem, json } from '../problem.ts';
import type { RestContext, RestRoute } from '../route-table.ts';

// Seed 001: a tenant chat API in FastAPI style; errors are {"detail": "..."}.

const fail = (problem: Problem) =>
  fastApiError(problem, (field) => (field === 'chat_id' ? 'path' : 'query'));

async function chatOf(ctx: RestContext, need: Permission) {
  const scope = await scopeOfRequest(ctx.deps, ctx.request, { need });
  const check = new Checker();
  const id = check.id(['chat_id'], ctx.params.chat_id ?? '');
  const force = flag(check, 'force', ctx.url.searchParams.get('force'));
  check.done();
  return { scope, id, force };
}

const chatId = pathParam('chat_id', 'The unique identifier (UUID) of the chat');
const errors = {
  401: jsonResponse('Invalid or missing API key'),
  404: jsonResponse("Chat not found or doesn't belong to your tenant"),
  422: jsonResponse('The chat id is not a UUID'),
};

/** Where a chat's export is streamed (exportChat's answer to a chat too large for it names it too). */
export const exportPath = (chatId: string) => `/api/v1/chats/${chatId}/export`;

export const chatRoutes: RestRoute[] = [
  {
    method: 'GET',
    path: '/api/v1/chats/{chat_id}',
    doc: {
      operationId: 'getChat',
      summary: 'Get a chat (check that it exists before deleting it)',
      tags: ['Chats (seed 001)'],
      parameters: [chatId],
      responses: { 200: jsonResponse('The chat'), ...errors },
    },
    fail,
    handle: async (ctx) => {
      const { scope, id } = await chatOf(ctx, 'read');
      const chat = await requireChat(ctx.deps, scope, id);
      const counts = await messageCountsOfChats(ctx.deps, [id]);
      return json({
        id: chat.id,
        flow_id: chat.flowId,
        title: chat.title,
        version: chat.version,
        created_at: chat.createdAt,
        updated_at: chat.updatedAt,
        message_count: counts.get(id) ?? 0,
        active_connections: await ctx.deps.live.activeConnections(id),
      });
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/chats/{chat_id}',
    doc: {
      operationId: 'deleteChat',
      summary: 'Delete a chat with all its threads, messages and streams (deleteChat)',
      tags: ['Chats (seed 001)'],
      parameters: [chatId, queryParam('force', 'End live connections instead of answering 409', { type: 'boolean' })],
      responses: {
        200: jsonResponse('Deleted', {
          type: 'object',
          properties: { success: { type: 'boolean' }, message: { type: 'string' }, deleted_at: { type: 'string' } },
        }),
        ...errors,
        409: jsonResponse('Chat cannot be deleted: active WebSocket/SSE connections, or a legal hold covers it (reason LEGAL_HOLD, hold_ids)'),
      },
    },
    fail,
    handle: async (ctx) => {
      const { scope, id, force } = await chatOf(ctx, 'delete');
      const result = await deleteChat(ctx.deps, scope, { id, force });
      return json({ success: true, message: 'Chat deleted successfully', deleted_at: result.deletedAt });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/chats/{chat_id}/export',
    doc: {
      operationId: 'exportChat',
      summary: 'Export a chat before deleting it: the chat, its threads and every message, as NDJSON (exportChat)',
      description:
        'One JSON record a line, streamed at any size: {"type":"export","format":"chat-gateway.chat-export.v1",...}, ' +
        'then "chat", each "thread" (soft-deleted ones with deletedAt) followed by its "message" records, and last ' +
        '"end" with the counts. A body without the end record is incomplete; a failure after the first line ends it ' +
        'with an "error" record.',
      tags: ['Chats (seed 001)'],
      parameters: [chatId],
      responses: {
        200: { description: 'The export, one record a line', content: { 'application/x-ndjson': { schema: { type: 'string' } } } },
        ...errors,
        403: jsonResponse('The API key lacks the read permission'),
      },
    },
    fail,
    handle: async (ctx) => {
      const { scope, id } = await chatOf(ctx, 'read');
      const { records, progress } = await openChatExport(ctx.deps, scope, id);
      return ndjsonResponse(ndjsonChunks(records), {
        signal: ctx.request.signal,
        headers: { 'content-disposition': `attachment; filename="chat-${id}.ndjson"`, 'cache-control': 'no-store' },
        ended: (outcome) => {
          const fields = { requestId: scope.requestId, tenant: scope.tenantId, actor: scope.actor, chatId: id, ...progress, outcome: outcome.kind };
          // A chat deleted meanwhile is an expected end (info); a fault is not (error, with its stack).
          if (outcome.kind === 'failed' && !isDomainError(outcome.error)) ctx.logger.error({ ...fields, err: outcome.error }, 'chat export');
          else ctx.logger.info(outcome.kind === 'failed' ? { ...fields, reason: String(outcome.error) } : fields, 'chat export');
        },
      });
    },
  },
];
