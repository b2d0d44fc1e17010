import { createConversation } from '../../../domain/conversations.ts';
import { deleteMessageOfThread } from '../../../domain/delete-messages.ts';
import { deleteThread } from '../../../domain/delete-thread.ts';
import { getMessages, pageMessagesOfThread, postMessages, requireMessageOfThread } from '../../../domain/messages.ts';
import { requireThread } from '../../../domain/threads.ts';
import { Checker } from '../../../domain/validation.ts';
import { scopeOfRequest } from '../../authenticate.ts';
import { CONVERSATION, HARD_DELETE, INPUT_ITEMS, ITEM, ITEM_LIST, METADATA_INPUT, PERMANENT, deleted, openAiErrorResponse } from '../openai-docs.ts';
import { openAiApiError } from '../openai-errors.ts';
import { itemsInput, jsonObjectBody, listInput, metadataInput } from '../openai-input.ts';
import { conversationObject, itemList, messageItem } from '../openai-objects.ts';
import { jsonResponse, pathParam, queryParam } from '../openapi.ts';
import { type Problem, json } from '../problem.ts';
import { flag } from '../query.ts';
import type { RestContext, RestRoute } from '../route-table.ts';

// OpenAI's Conversations API: a conversation is one of our threads (same id), its items
// the thread's messages (src/http/rest/openai-objects.ts), so GraphQL sees them and every
// delete goes through deleteThread or deleteMessages.

const fail = (problem: Problem) => openAiApiError(problem, { THREAD: 'conversation', MESSAGE: 'item' });

const paths = { threadId: ['conversation_id'], metadata: ['metadata'], message: (i: number) => ['items', String(i)] };

/**
 * The request's scope and its checked path ids ('' where the route has none); `more`
 * reads the rest into the same Checker, so a client sees every problem at once.
 */
async function requestOf<T>(ctx: RestContext, need: 'read' | 'write' | 'delete', more: (check: Checker) => T | Promise<T>) {
  const scope = await scopeOfRequest(ctx.deps, ctx.request, { need });
  const check = new Checker();
  const pathId = (name: string) => (ctx.params[name] === undefined ? '' : check.id([name], ctx.params[name]));
  const conversationId = pathId('conversation_id');
  const itemId = pathId('item_id');
  const rest = await more(check);
  check.done();
  return { scope, conversationId, itemId, ...rest };
}

const nothing = () => ({});

const conversationId = pathParam('conversation_id', 'The id of the conversation (one of our threads)');
const itemId = pathParam('item_id', "The id of the item (one of the thread's messages)");
const errors = {
  400: openAiErrorResponse('A malformed id, body or query value (names it in param)'),
  401: openAiErrorResponse('Invalid or missing API key'),
  404: openAiErrorResponse('No such conversation (or item) in your tenant'),
};
const tags = ['Conversations (OpenAI)'];
const jsonBody = (schema: Record<string, unknown>) => ({ required: false, content: { 'application/json': { schema } } });

export const conversationRoutes: RestRoute[] = [
  {
    method: 'POST',
    path: '/conversations',
    doc: {
      operationId: 'createConversation',
      summary: 'Create a conversation: a thread in a chat of its own, in the tenant\'s flow for OpenAI-created data',
      tags,
      requestBody: jsonBody({ type: 'object', properties: { items: INPUT_ITEMS, metadata: METADATA_INPUT } }),
      responses: { 200: jsonResponse('The conversation', CONVERSATION), 400: errors[400], 401: errors[401] },
    },
    fail,
    handle: async (ctx) => {
      const { scope, input } = await requestOf(ctx, 'write', async (check) => {
        const body = await jsonObjectBody(check, ctx.request);
        return { input: { metadata: metadataInput(check, body.metadata), messages: itemsInput(check, body.items, false) } };
      });
      const { thread } = await createConversation(ctx.deps, scope, input, paths);
      return json(conversationObject(thread));
    },
  },
  {
    method: 'GET',
    path: '/conversations/{conversation_id}',
    doc: {
      operationId: 'getConversation',
      summary: 'Retrieve a conversation',
      tags,
      parameters: [conversationId],
      responses: { 200: jsonResponse('The conversation', CONVERSATION), ...errors },
    },
    fail,
    handle: async (ctx) => {
      const { scope, conversationId } = await requestOf(ctx, 'read', nothing);
      return json(conversationObject(await requireThread(ctx.deps, scope, conversationId)));
    },
  },
  {
    method: 'DELETE',
    path: '/conversations/{conversation_id}',
    doc: {
      operationId: 'deleteConversation',
      summary: 'Delete a conversation (deleteThread)',
      description: 'Soft by default, as deleteThread (restorable until its restoreUntil); permanent=true erases it and its items at once.',
      tags,
      parameters: [conversationId, PERMANENT],
      responses: {
        200: jsonResponse('Deleted', deleted('conversation.deleted')),
        ...errors,
        409: openAiErrorResponse('A legal hold covers the conversation (permanent=true; code legal_hold, x-should-retry: false)'),
      },
    },
    fail,
    handle: async (ctx) => {
      const { scope, conversationId, permanent } = await requestOf(ctx, 'delete', (check) => ({
        permanent: flag(check, 'permanent', ctx.url.searchParams.get('permanent')),
      }));
      await deleteThread(ctx.deps, scope, { id: conversationId, permanent });
      return json({ id: conversationId, object: 'conversation.deleted', deleted: true });
    },
  },
  {
    method: 'GET',
    path: '/conversations/{conversation_id}/items',
    doc: {
      operationId: 'listConversationItems',
      summary: 'List the items of a conversation (its messages, by creation)',
      tags,
      parameters: [
        conversationId,
        queryParam('limit', 'How many items, 1 to 100', { type: 'integer', minimum: 1, maximum: 100, default: 20 }),
        queryParam('order', 'By creation: asc or desc', { type: 'string', enum: ['asc', 'desc'], default: 'desc' }),
        queryParam('after', 'An item id: the page starts after it, in the order asked'),
      ],
      responses: { 200: jsonResponse('A page of items', ITEM_LIST), ...errors },
    },
    fail,
    handle: async (ctx) => {
      const { scope, conversationId, limit, order, after } = await requestOf(ctx, 'read', (check) => listInput(check, ctx.url.searchParams));
      const thread = await requireThread(ctx.deps, scope, conversationId);
      const [from] = after === undefined ? [] : await getMessages(ctx.deps, scope, [after]);
      if (after !== undefined && from?.threadId !== thread.id) {
        const check = new Checker();
        check.fail(['after'], `is not an item of conversation '${thread.id}'`);
        check.done();
      }
      const cursor = from && { at: from.createdAt, id: from.id };
      // One more than asked: whether there are more.
      const rows = await pageMessagesOfThread(ctx.deps, thread, {
        ...(order === 'asc' ? { after: cursor } : { before: cursor }),
        limit: limit + 1,
        inverted: order === 'desc',
      });
      return json(itemList(rows.slice(0, limit), rows.length > limit));
    },
  },
  {
    method: 'POST',
    path: '/conversations/{conversation_id}/items',
    doc: {
      operationId: 'createConversationItems',
      summary: 'Add items to a conversation (messages of its thread, in order)',
      tags,
      parameters: [conversationId],
      requestBody: { ...jsonBody({ type: 'object', required: ['items'], properties: { items: INPUT_ITEMS } }), required: true },
      responses: { 200: jsonResponse('The items added', ITEM_LIST), ...errors },
    },
    fail,
    handle: async (ctx) => {
      const { scope, conversationId, items } = await requestOf(ctx, 'write', async (check) => ({
        items: itemsInput(check, (await jsonObjectBody(check, ctx.request)).items, true),
      }));
      const messages = await postMessages(ctx.deps, scope, { threadId: conversationId, messages: items }, paths);
      return json(itemList(messages, false));
    },
  },
  {
    method: 'GET',
    path: '/conversations/{conversation_id}/items/{item_id}',
    doc: {
      operationId: 'getConversationItem',
      summary: 'Retrieve an item of a conversation',
      tags,
      parameters: [conversationId, itemId],
      responses: { 200: jsonResponse('The item', ITEM), ...errors },
    },
    fail,
    handle: async (ctx) => {
      const { scope, conversationId, itemId } = await requestOf(ctx, 'read', nothing);
      const thread = await requireThread(ctx.deps, scope, conversationId);
      return json(messageItem(await requireMessageOfThread(ctx.deps, scope, thread.id, itemId)));
    },
  },
  {
    method: 'DELETE',
    path: '/conversations/{conversation_id}/items/{item_id}',
    doc: {
      operationId: 'deleteConversationItem',
      summary: 'Delete an item of a conversation (deleteMessages of one message); answers the conversation',
      description: "Erases the message from our rows at once, as deleteMessages does; hardDelete=true also erases its copies.",
      tags,
      parameters: [
        conversationId,
        itemId,
        HARD_DELETE,
      ],
      responses: {
        200: jsonResponse('The conversation', CONVERSATION),
        ...errors,
        409: openAiErrorResponse('A legal hold covers the item (code legal_hold, x-should-retry: false), or a stream is writing to it'),
      },
    },
    fail,
    handle: async (ctx) => {
      const { scope, conversationId, itemId, hardDelete } = await requestOf(ctx, 'delete', (check) => ({
        hardDelete: flag(check, 'hardDelete', ctx.url.searchParams.get('hardDelete')),
      }));
      await deleteMessageOfThread(ctx.deps, scope, { threadId: conversationId, messageId: itemId, hardDelete });
      return json(conversationObject(await requireThread(ctx.deps, scope, conversationId)));
    },
  },
];
