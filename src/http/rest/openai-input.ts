import type { Message } from '../../domain/messages.ts';
import type { Checker } from '../../domain/validation.ts';

// OpenAI's request bodies and query values, checked as OpenAI checks them; problems go to
// the route's Checker (a 400 naming the field, nothing changed).

/** OpenAI's metadata limits: 16 pairs, keys up to 64 characters, string values up to 512. */
export const METADATA = { pairs: 16, keyLength: 64, valueLength: 512 } as const;

/** At most this many items a request, as OpenAI allows. */
export const MAX_ITEMS = 20;

/** A JSON object body; an empty body is `{}` (the SDK sends none for a create without parameters). */
export async function jsonObjectBody(check: Checker, request: Request): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {}
  check.fail(['body'], 'must be a JSON object');
  return {};
}

export function metadataInput(check: Checker, value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) {
    check.fail(['metadata'], 'must be an object of string keys and string values');
    return null;
  }
  const entries = Object.entries(value);
  if (entries.length > METADATA.pairs) check.fail(['metadata'], `must have at most ${METADATA.pairs} keys, has ${entries.length}`);
  for (const [key, v] of entries) {
    if (key.length > METADATA.keyLength) check.fail(['metadata', key], `key must be at most ${METADATA.keyLength} characters`);
    if (typeof v !== 'string') check.fail(['metadata', key], 'must be a string');
    else if (v.length > METADATA.valueLength) check.fail(['metadata', key], `must be at most ${METADATA.valueLength} characters`);
  }
  return value as Record<string, string>;
}

const ROLES: Readonly<Record<string, Message['role']>> = { user: 'USER', assistant: 'ASSISTANT', system: 'SYSTEM', developer: 'SYSTEM' };
const TEXT_PARTS = ['input_text', 'output_text', 'text'];

export interface ItemInput {
  role: Message['role'];
  content: string;
}

/**
 * Message items, as OpenAI's input items give them: `{type?: "message", role, content}`
 * with content a string or text parts (joined by a newline: one message holds one text).
 * Other item types and non-text parts (images, files) have nowhere to go here: a 400.
 */
export function itemsInput(check: Checker, value: unknown, required: boolean): ItemInput[] {
  if (value === undefined || value === null) {
    if (required) check.fail(['items'], 'is required');
    return [];
  }
  if (!Array.isArray(value)) {
    check.fail(['items'], 'must be an array of items');
    return [];
  }
  if (required && value.length === 0) check.fail(['items'], 'must not be empty');
  if (value.length > MAX_ITEMS) check.fail(['items'], `must have at most ${MAX_ITEMS} items, has ${value.length}`);
  return value.map((item: unknown, i) => itemInput(check, ['items', String(i)], item));
}

function itemInput(check: Checker, path: string[], item: unknown): ItemInput {
  const fields = typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as Record<string, unknown>) : undefined;
  if (!fields) {
    check.fail(path, 'must be an object');
    return { role: 'USER', content: '' };
  }
  if (fields.type !== undefined && fields.type !== 'message')
    check.fail([...path, 'type'], `'${String(fields.type)}' items are not supported; only 'message'`);
  const role = typeof fields.role === 'string' ? ROLES[fields.role] : undefined;
  if (!role) check.fail([...path, 'role'], `must be one of ${Object.keys(ROLES).join(', ')}`);
  return { role: role ?? 'USER', content: contentInput(check, [...path, 'content'], fields.content) };
}

function contentInput(check: Checker, path: string[], content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) {
    check.fail(path, 'must be a string or an array of text content parts');
    return '';
  }
  const texts = content.map((part: unknown, j) => {
    const p = typeof part === 'object' && part !== null ? (part as Record<string, unknown>) : {};
    if (!TEXT_PARTS.includes(String(p.type)) || typeof p.text !== 'string') {
      check.fail([...path, String(j)], `must be a text part ({type: "input_text", text}); '${String(p.type)}' is not supported`);
      return '';
    }
    return p.text;
  });
  return texts.join('\n');
}

/** OpenAI's list parameters: limit 1..100 (default 20), order asc|desc (default desc), after an item id. */
export function listInput(check: Checker, q: URLSearchParams) {
  const rawLimit = q.get('limit');
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) check.fail(['limit'], 'must be an integer from 1 to 100');
  const order = q.get('order') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') check.fail(['order'], "must be 'asc' or 'desc'");
  const after = q.get('after');
  return { limit, order: order === 'asc' ? 'asc' : 'desc', after: after === null ? undefined : check.id(['after'], after) } as const;
}
