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
