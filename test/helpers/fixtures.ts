import type { TestApp } from './harness.ts';

// Builds data the way a client would: through the create mutations.

async function must<T>(t: TestApp, query: string, variables: Record<string, unknown>, field: string, key?: string): Promise<T> {
  const { body } = await t.gql(query, variables, { key });
  const result = body.data?.[field];
  if (!result || result.__typename?.endsWith('Error')) throw new Error(`${field} failed: ${JSON.stringify(body)}`);
  return result as T;
}

export async function createFlow(t: TestApp, name = 'Support bot', key?: string): Promise<string> {
  const r = await must<{ flow: { id: string } }>(
    t,
    `mutation($input: CreateFlowInput!) { createFlow(input: $input) { __typename ... on CreateFlowSuccess { flow { id } } } }`,
    { input: { name, type: 'CHATFLOW' } },
    'createFlow',
    key,
  );
  return r.flow.id;
}

export async function createChat(t: TestApp, flowId: string, title = 'A chat', key?: string): Promise<string> {
  const r = await must<{ chat: { id: string } }>(
    t,
    `mutation($input: CreateChatInput!) { createChat(input: $input) { __typename ... on CreateChatSuccess { chat { id } } } }`,
    { input: { flowId, title } },
    'createChat',
    key,
  );
  return r.chat.id;
}

export async function createThread(t: TestApp, chatId: string, title = 'A thread', key?: string): Promise<string> {
  const r = await must<{ thread: { id: string } }>(
    t,
    `mutation($input: CreateThreadInput!) { createThread(input: $input) { __typename ... on CreateThreadSuccess { thread { id } } } }`,
    { input: { chatId, title } },
    'createThread',
    key,
  );
  return r.thread.id;
}

export interface MessageFields {
  role?: 'USER' | 'ASSISTANT' | 'SYSTEM' | 'TOOL';
  content?: string;
  sessionId?: string;
  memoryType?: string;
  chatType?: 'INTERNAL' | 'EXTERNAL';
  feedback?: 'THUMBS_UP' | 'THUMBS_DOWN';
  createdAt?: string;
}

export async function postMessage(t: TestApp, threadId: string, fields: MessageFields = {}, key?: string): Promise<string> {
  const r = await must<{ message: { id: string } }>(
    t,
    `mutation($input: PostMessageInput!) { postMessage(input: $input) { __typename ... on PostMessageSuccess { message { id } } } }`,
    { input: { threadId, role: 'USER', content: 'hello', ...fields } },
    'postMessage',
    key,
  );
  return r.message.id;
}

/** A flow with one chat, one thread and `n` messages. */
export async function chatWithMessages(t: TestApp, n: number, key?: string) {
  const flowId = await createFlow(t, 'Flow', key);
  const chatId = await createChat(t, flowId, 'Chat', key);
  const threadId = await createThread(t, chatId, 'Thread', key);
  const messageIds: string[] = [];
  for (let i = 0; i < n; i++) messageIds.push(await postMessage(t, threadId, { content: `message ${i}` }, key));
  return { flowId, chatId, threadId, messageIds };
}

/**
 * `n` USER messages written straight into a thread's table, 500 a statement: enough rows
 * to send a delete through the erasure queue without posting each. Ids count up from
 * 00000000-0000-4000-8000-000000000000; `createdAt(i)` defaults to 1 ms apart from 2025.
 */
export async function insertMessages(
  t: TestApp,
  threadId: string,
  n: number,
  fields: { content?: (i: number) => string; sessionId?: string | null; createdAt?: (i: number) => string } = {},
): Promise<void> {
  const db = t.app.deps.store.db;
  const thread = await db.selectFrom('threads').selectAll().where('id', '=', threadId).executeTakeFirstOrThrow();
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    tenant_id: thread.tenant_id,
    flow_id: thread.flow_id,
    chat_id: thread.chat_id,
    thread_id: thread.id,
    role: 'USER' as const,
    content: fields.content?.(i) ?? `bulk ${i}`,
    session_id: fields.sessionId ?? null,
    memory_type: null,
    chat_type: 'INTERNAL' as const,
    feedback: null,
    created_at: fields.createdAt?.(i) ?? new Date(Date.UTC(2025, 0, 1) + i).toISOString(),
  }));
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('messages').values(rows.slice(i, i + 500)).execute();
}
