import { jsonResponse, queryParam } from './openapi.ts';

// The OpenAPI schemas of OpenAI's objects and errors, shared by the routes that answer them.

const nullableString = { type: ['string', 'null'] };
const metadata = { type: 'object', additionalProperties: { type: 'string', maxLength: 512 }, maxProperties: 16, description: 'Up to 16 string pairs (keys up to 64 characters, values up to 512)' };

const ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'param', 'code'],
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: nullableString, code: nullableString },
    },
  },
};

export const openAiErrorResponse = (description: string) => jsonResponse(description, ERROR);

export const THREAD = {
  type: 'object',
  required: ['id', 'object', 'created_at', 'metadata', 'tool_resources'],
  properties: {
    id: { type: 'string' },
    object: { const: 'thread' },
    created_at: { type: 'integer', description: 'Unix seconds' },
    metadata,
    tool_resources: { type: 'object' },
  },
};

export const CONVERSATION = {
  type: 'object',
  required: ['id', 'object', 'created_at', 'metadata'],
  properties: { id: { type: 'string' }, object: { const: 'conversation' }, created_at: { type: 'integer', description: 'Unix seconds' }, metadata },
};

export const deleted = (object: string) => ({
  type: 'object',
  required: ['id', 'object', 'deleted'],
  properties: { id: { type: 'string' }, object: { const: object }, deleted: { const: true } },
});

const TEXT_PART = {
  type: 'object',
  required: ['type', 'text'],
  properties: { type: { enum: ['input_text', 'output_text'] }, text: { type: 'string' }, annotations: { type: 'array' } },
};

export const ITEM = {
  type: 'object',
  required: ['type', 'id', 'status', 'role', 'content'],
  properties: {
    type: { const: 'message' },
    id: { type: 'string' },
    status: { const: 'completed' },
    role: { enum: ['user', 'assistant', 'system', 'tool'] },
    content: { type: 'array', items: TEXT_PART },
  },
};

export const ITEM_LIST = {
  type: 'object',
  required: ['object', 'data', 'first_id', 'last_id', 'has_more'],
  properties: { object: { const: 'list' }, data: { type: 'array', items: ITEM }, first_id: nullableString, last_id: nullableString, has_more: { type: 'boolean' } },
};

/** What a request may add: message items, with a string or text parts as content. */
export const INPUT_ITEMS = {
  type: 'array',
  maxItems: 20,
  items: {
    type: 'object',
    required: ['role', 'content'],
    properties: {
      type: { const: 'message' },
      role: { enum: ['user', 'assistant', 'system', 'developer'] },
      content: { oneOf: [{ type: 'string' }, { type: 'array', items: TEXT_PART }] },
    },
  },
};

export const METADATA_INPUT = { ...metadata, type: ['object', 'null'] };

/** The delete flags, named as the domain's deletes name them. */
export const PERMANENT = queryParam('permanent', 'Erase at once instead of a restorable soft delete', { type: 'boolean' });
export const HARD_DELETE = queryParam('hardDelete', 'Also erase the cached stream events and the copies (erasure targets) of the text', { type: 'boolean' });
