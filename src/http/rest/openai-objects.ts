import type { Message } from '../../domain/messages.ts';
import type { Thread } from '../../domain/threads.ts';

// Our threads and messages as OpenAI's API shows them: a thread (Assistants) or a
// conversation is one of our threads, an item or a thread message one of its messages.

const unixSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/** What OpenAI's roles are of ours. */
export const OPENAI_ROLES: Readonly<Record<Message['role'], string>> = { USER: 'user', ASSISTANT: 'assistant', SYSTEM: 'system', TOOL: 'tool' };

/** A thread's metadata as OpenAI shows it: an object, `{}` when none (a thread made through GraphQL may hold other JSON). */
function metadataOf(thread: Thread): Record<string, unknown> {
  const parsed: unknown = thread.metadata === null ? null : JSON.parse(thread.metadata);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}

export const threadObject = (thread: Thread) => ({
  id: thread.id,
  object: 'thread',
  created_at: unixSeconds(thread.createdAt),
  metadata: metadataOf(thread),
  tool_resources: {},
});

export const conversationObject = (thread: Thread) => ({
  id: thread.id,
  object: 'conversation',
  created_at: unixSeconds(thread.createdAt),
  metadata: metadataOf(thread),
});

/** A message item; the assistant's text is output, every other role's input, as OpenAI stores them. */
export function messageItem(message: Message) {
  const text =
    message.role === 'ASSISTANT'
      ? { type: 'output_text', text: message.content, annotations: [] }
      : { type: 'input_text', text: message.content };
  return { type: 'message', id: message.id, status: 'completed', role: OPENAI_ROLES[message.role], content: [text] };
}

/** OpenAI's list shape; first_id and last_id are null for an empty page. */
export function itemList(messages: readonly Message[], hasMore: boolean) {
  return {
    object: 'list',
    data: messages.map(messageItem),
    first_id: messages[0]?.id ?? null,
    last_id: messages.at(-1)?.id ?? null,
    has_more: hasMore,
  };
}
