import { insertChat } from '../data/chats.repository.ts';
import type { Db } from '../data/db.ts';
import { insertFlow } from '../data/flows.repository.ts';
import { claimOpenAiFlow, findOpenAiFlowId } from '../data/openai-flows.repository.ts';
import type { MessageRole } from '../data/tables.ts';
import { insertThread } from '../data/threads.repository.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import { newId } from './ids.ts';
import { type Message, appendMessage, checkedMessage, messageOf, newMessage } from './messages.ts';
import type { Scope } from './scope.ts';
import { type Thread, checkedMetadata, newThreadRow, threadOf } from './threads.ts';
import { Checker } from './validation.ts';

// A conversation created through the OpenAI routes is one of our threads, in a chat of
// its own, in the one flow of the tenant that holds such conversations: so every read,
// delete, hold, receipt and copy rule of threads and messages applies to it unchanged.

const OPENAI_FLOW_NAME = 'OpenAI conversations';

/** The tenant's flow for conversations, made by the first one; `trx` holds its claim. */
async function openAiFlowId(trx: Db, scope: Scope, now: string): Promise<string> {
  const known = await findOpenAiFlowId(trx, scope.tenantId);
  if (known !== undefined) return known;
  const id = newId();
  await claimOpenAiFlow(trx, { tenant_id: scope.tenantId, flow_id: id, created_at: now });
  // A request that claimed it first (and committed meanwhile) made the flow: it is used.
  const claimed = await findOpenAiFlowId(trx, scope.tenantId);
  if (claimed === id) await insertFlow(trx, { id, tenant_id: scope.tenantId, name: OPENAI_FLOW_NAME, type: 'CHATFLOW', created_at: now });
  return claimed!;
}

/**
 * Creates a conversation with its first messages, all or nothing. `paths.message(i)`
 * names where a problem of the i-th message is, as the caller's client knows it.
 */
export async function createConversation(
  deps: Deps,
  scope: Scope,
  input: { metadata: Readonly<Record<string, string>> | null; messages: readonly { role: MessageRole; content: string }[] },
  paths: { metadata: string[]; message: (index: number) => string[] },
): Promise<{ thread: Thread; messages: Message[] }> {
  const check = new Checker();
  const metadata = checkedMetadata(check, paths.metadata, input.metadata);
  const now = isoNow(deps.clock);
  const fields = input.messages.map((m, i) => checkedMessage(check, paths.message(i), m, now));
  check.done();
  return deps.store.db.transaction().execute(async (trx) => {
    const flowId = await openAiFlowId(trx, scope, now);
    const chatId = newId();
    await insertChat(trx, { id: chatId, tenant_id: scope.tenantId, flow_id: flowId, title: null, version: 1, created_at: now, updated_at: now, deleted_at: null });
    const thread = newThreadRow(scope, { id: chatId, flowId }, { title: null, metadata }, now);
    await insertThread(trx, thread);
    const messages = fields.map((f) => newMessage(thread, f));
    for (const message of messages) await appendMessage(trx, message, now);
    // A chat nobody could know of yet has no subscribers to tell.
    return { thread: threadOf({ ...thread, version: thread.version + messages.length }), messages: messages.map(messageOf) };
  });
}
