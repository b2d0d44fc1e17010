import { findFlows, insertFlow, listFlows } from '../data/flows.repository.ts';
import type { PageRequest } from '../data/keyset.ts';
import type { FlowRow, FlowType } from '../data/tables.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import { Checker, isId } from './validation.ts';

export interface Flow {
  id: string;
  name: string;
  type: FlowType;
  createdAt: string;
}

function flowOf(row: FlowRow): Flow {
  return { id: row.id, name: row.name, type: row.type, createdAt: row.created_at };
}

export async function createFlow(deps: Deps, scope: Scope, input: { name: string; type: FlowType }): Promise<Flow> {
  const check = new Checker();
  const name = check.text(['input', 'name'], input.name);
  check.done();
  const row: FlowRow = { id: newId(), tenant_id: scope.tenantId, name, type: input.type, created_at: isoNow(deps.clock) };
  await insertFlow(deps.store.db, row);
  return flowOf(row);
}

export async function getFlows(deps: Deps, scope: Scope, ids: readonly string[]): Promise<Flow[]> {
  return (await findFlows(deps.store.db, scope.tenantId, ids.filter(isId))).map(flowOf);
}

export async function requireFlow(deps: Deps, scope: Scope, id: string): Promise<Flow> {
  const [flow] = await getFlows(deps, scope, [id]);
  if (!flow) throw new NotFoundError('FLOW', id);
  return flow;
}

export async function pageFlows(deps: Deps, scope: Scope, page: PageRequest): Promise<Flow[]> {
  return (await listFlows(deps.store.db, scope.tenantId, page)).map(flowOf);
}
