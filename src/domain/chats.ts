import { findChats, insertChat, listChats } from '../data/chats.repository.ts';
import type { PageRequest } from '../data/keyset.ts';
import { countLiveMessagesByChat } from '../data/messages.repository.ts';
import type { ChatRow } from '../data/tables.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { NotFoundError } from './errors.ts';
import { requireFlow } from './flows.ts';
import { newId } from './ids.ts';
import { Checker, isId } from './validation.ts';

export interface Chat {
  id: string;
  flowId: string;
  title: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

function chatOf(row: ChatRow): Chat {
  return {
    id: row.id,
    flowId: row.flow_id,
    title: row.title,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function createChat(
  deps: Deps,
  scope: Scope,
  input: { flowId: string; title?: string | null },
): Promise<Chat> {
  const check = new Checker();
  const flowId = check.id(['input', 'flowId'], input.flowId);
  const title = check.optionalText(['input', 'title'], input.title);
  check.done();
  await requireFlow(deps, scope, flowId);
  const now = isoNow(deps.clock);
  const row: ChatRow = {
    id: newId(),
    tenant_id: scope.tenantId,
    flow_id: flowId,
    title: title ?? null,
    version: 1,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
  await insertChat(deps.store.db, row);
  return chatOf(row);
}

export async function getChats(deps: Pick<Deps, 'store'>, scope: Scope, ids: readonly string[]): Promise<Chat[]> {
  return (await findChats(deps.store.db, scope.tenantId, ids.filter(isId))).map(chatOf);
}

export async function requireChat(deps: Pick<Deps, 'store'>, scope: Scope, id: string): Promise<Chat> {
  const [chat] = await getChats(deps, scope, [id]);
  if (!chat) throw new NotFoundError('CHAT', id);
  return chat;
}

export async function pageChats(deps: Deps, scope: Scope, flowId: string | undefined, page: PageRequest): Promise<Chat[]> {
  const check = new Checker();
  const flow = flowId === undefined ? undefined : check.id(['flowId'], flowId);
  check.done();
  return (await listChats(deps.store.db, scope.tenantId, flow, page)).map(chatOf);
}

export async function messageCountsOfChats(deps: Deps, chatIds: readonly string[]) {
  return countLiveMessagesByChat(deps.store.db, chatIds);
}
