import { bumpChatVersions } from '../data/chats.repository.ts';
import type { PageRequest } from '../data/keyset.ts';
import { findLiveMessages, insertMessage, listMessagesOfThread, listSelectedMessages } from '../data/messages.repository.ts';
import type { Db } from '../data/db.ts';
import type { ChatType, FeedbackType, MessageRole, MessageRow, ThreadRow } from '../data/tables.ts';
import { bumpThreadVersions, findThreads } from '../data/threads.repository.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { NotFoundError } from './errors.ts';
import { requireFlow } from './flows.ts';
import { newId } from './ids.ts';
import { type MessageFilterInput, toSelection } from './message-filter.ts';
import { type Thread, requireThreadRow } from './threads.ts';
import { Checker, LIMITS, isId } from './validation.ts';

export interface Message {
  id: string;
  flowId: string;
  chatId: string;
  threadId: string;
  role: MessageRole;
  content: string;
  sessionId: string | null;
  memoryType: string | null;
  chatType: ChatType;
  feedback: FeedbackType | null;
  createdAt: string;
}

export function messageOf(row: MessageRow): Message {
  return {
    id: row.id,
    flowId: row.flow_id,
    chatId: row.chat_id,
    threadId: row.thread_id,
    role: row.role,
    content: row.content,
    sessionId: row.session_id,
    memoryType: row.memory_type,
    chatType: row.chat_type,
    feedback: row.feedback,
    createdAt: row.created_at,
  };
}

export interface PostMessageInput {
  threadId: string;
  role: MessageRole;
  content: string;
  sessionId?: string | null;
  memoryType?: string | null;
  chatType?: ChatType | null;
  feedback?: FeedbackType | null;
  createdAt?: string | null;
}

/** Builds a message row of a thread; the caller inserts it with `appendMessage`. */
export function newMessage(
  thread: ThreadRow,
  fields: Omit<MessageRow, 'id' | 'tenant_id' | 'flow_id' | 'chat_id' | 'thread_id'>,
): MessageRow {
  return {
    id: newId(),
    tenant_id: thread.tenant_id,
    flow_id: thread.flow_id,
    chat_id: thread.chat_id,
    thread_id: thread.id,
    ...fields,
  };
}

/** Inserts a message and raises its thread's and chat's versions, in the caller's transaction. */
export async function appendMessage(trx: Db, message: MessageRow, now: string): Promise<void> {
  // Checked again under lock: a delete may have hidden the thread since it was read, and a
  // large chat's rows wait for their erasure after the chat is hidden.
  const [thread] = await findThreads(trx, message.tenant_id, [message.thread_id], true);
  if (!thread || thread.deleted_at !== null) throw new NotFoundError('THREAD', message.thread_id);
  await insertMessage(trx, message);
  await bumpThreadVersions(trx, [message.thread_id], now);
  await bumpChatVersions(trx, [message.chat_id], now);
}

/** A message's own fields, as a thread's row takes them. */
export type MessageFields = Omit<MessageRow, 'id' | 'tenant_id' | 'flow_id' | 'chat_id' | 'thread_id'>;

/** Checks a message to post; problems go to `check` under `path`. */
export function checkedMessage(check: Checker, path: string[], input: Omit<PostMessageInput, 'threadId'>, now: string): MessageFields {
  const content = check.text([...path, 'content'], input.content, LIMITS.contentLength);
  const sessionId = check.optionalText([...path, 'sessionId'], input.sessionId);
  const memoryType = check.optionalText([...path, 'memoryType'], input.memoryType);
  const createdAt = check.date([...path, 'createdAt'], input.createdAt);
  return {
    role: input.role,
    content,
    session_id: sessionId ?? null,
    memory_type: memoryType ?? null,
    chat_type: input.chatType ?? 'INTERNAL',
    feedback: input.feedback ?? null,
    created_at: createdAt ?? now,
  };
}

export async function postMessage(deps: Deps, scope: Scope, input: PostMessageInput): Promise<Message> {
  const paths = { threadId: ['input', 'threadId'], message: () => ['input'] };
  const [message] = await postMessages(deps, scope, { threadId: input.threadId, messages: [input] }, paths);
  return message!;
}

/**
 * Appends the messages to the thread in one transaction, all or none, in their order.
 * `paths` name where a problem is, as the caller's client knows the fields.
 */
export async function postMessages(
  deps: Deps,
  scope: Scope,
  input: { threadId: string; messages: readonly Omit<PostMessageInput, 'threadId'>[] },
  paths: { threadId: string[]; message: (index: number) => string[] },
): Promise<Message[]> {
  const check = new Checker();
  const threadId = check.id(paths.threadId, input.threadId);
  const now = isoNow(deps.clock);
  const fields = input.messages.map((m, i) => checkedMessage(check, paths.message(i), m, now));
  check.done();
  const thread = await requireThreadRow(deps, scope, threadId);
  const messages = fields.map((f) => newMessage(thread, f));
  await deps.store.db.transaction().execute(async (trx) => {
    for (const message of messages) await appendMessage(trx, message, now);
  });
  for (const message of messages) {
    deps.live.publishChatEvent({
      type: 'MESSAGE_POSTED',
      chatId: thread.chat_id,
      threadId: thread.id,
      messageId: message.id,
      streamId: null,
      at: now,
    });
  }
  return messages.map(messageOf);
}

export async function getMessages(deps: Deps, scope: Scope, ids: readonly string[]): Promise<Message[]> {
  return (await findLiveMessages(deps.store.db, scope.tenantId, ids.filter(isId))).map(messageOf);
}

/** A live message of the thread; one of another thread is NotFound, as a missing one. */
export async function requireMessageOfThread(deps: Deps, scope: Scope, threadId: string, messageId: string): Promise<Message> {
  const [message] = await getMessages(deps, scope, [messageId]);
  if (!message || message.threadId !== threadId) throw new NotFoundError('MESSAGE', messageId);
  return message;
}

export async function pageMessagesOfThread(deps: Deps, thread: Thread, page: PageRequest): Promise<Message[]> {
  return (await listMessagesOfThread(deps.store.db, thread.id, page)).map(messageOf);
}

export async function pageMessagesOfFlow(
  deps: Deps,
  scope: Scope,
  input: { flowId: string; filter?: MessageFilterInput | null },
  page: PageRequest,
): Promise<Message[]> {
  const check = new Checker();
  const flowId = check.id(['flowId'], input.flowId);
  const selection = toSelection(check, flowId, input.filter, ['filter']);
  check.done();
  try {
    await requireFlow(deps, scope, flowId);
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    throw error;
  }
  return (await listSelectedMessages(deps.store.db, selection, page)).map(messageOf);
}
