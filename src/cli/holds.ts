import type { DataStore } from '../data/data-store.ts';
import { invalidOption } from './invalid-option.ts';
import { LEGAL_HOLD_SCOPES, type LegalHoldScope } from '../data/tables.ts';
import { systemClock } from '../domain/clock.ts';
import { type LegalHold, listHolds, placeLegalHold, releaseLegalHold } from '../domain/legal-holds.ts';
import { operatorScope } from '../domain/operator-scope.ts';
import type { Scope } from '../domain/scope.ts';

// `chat-gateway hold place|release|list`: the same domain operations as the GraphQL
// mutations, for an operator at the server, audited with the operator's actor.

export interface HoldArgs {
  action: string | undefined;
  tenant: string;
  scope?: string;
  target?: string;
  reason?: string;
  id?: string;
  active?: string;
}

/** Runs one hold command; the lines to print, or a ValidationError/NotFoundError to report. */
export async function runHoldCommand(store: DataStore, args: HoldArgs): Promise<string[]> {
  const scope = await operatorScope(store.db, args.tenant, ['admin']);
  if (!scope) throw invalidOption('tenant', `there is no tenant named "${args.tenant}"`);
  const deps = { store, clock: systemClock };
  switch (args.action) {
    case 'place': {
      const hold = await placeLegalHold(deps, scope, { scope: holdScope(args.scope), targetId: args.target ?? '', reason: args.reason ?? '' });
      return [`Placed legal hold ${hold.id} on ${hold.scope} ${hold.targetId}.`];
    }
    case 'release': {
      const hold = await releaseLegalHold(deps, scope, args.id ?? '');
      return [`Released legal hold ${hold.id} (at ${hold.releasedAt}).`];
    }
    case 'list': {
      const holds = await everyHold(store, scope, activeFilter(args.active));
      return holds.length === 0 ? ['No legal holds.'] : holds.map(describeHold);
    }
    default:
      throw invalidOption('action', 'must be place, release or list');
  }
}

function describeHold(h: LegalHold): string {
  const state = h.releasedAt === null ? 'active' : `released ${h.releasedAt}`;
  return `${h.id}  ${h.scope.padEnd(7)} ${h.targetId}  ${state}  placed ${h.createdAt} by ${h.createdBy}: ${h.reason}`;
}

/** Page after page: an operator's list is short, but never silently cut. */
async function everyHold(store: DataStore, scope: Scope, active: boolean | undefined): Promise<LegalHold[]> {
  const all: LegalHold[] = [];
  for (;;) {
    const last = all.at(-1);
    const page = await listHolds({ store }, scope, active, { limit: 100, inverted: false, after: last && { at: last.createdAt, id: last.id } });
    all.push(...page);
    if (page.length < 100) return all;
  }
}

function holdScope(value: string | undefined): LegalHoldScope {
  const upper = value?.toUpperCase();
  if (!LEGAL_HOLD_SCOPES.includes(upper as LegalHoldScope)) throw invalidOption('scope', `must be one of ${LEGAL_HOLD_SCOPES.join(', ')}`);
  return upper as LegalHoldScope;
}

function activeFilter(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalidOption('active', 'must be true or false');
}

