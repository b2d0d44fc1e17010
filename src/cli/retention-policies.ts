import type { DataStore } from '../data/data-store.ts';
import { invalidOption } from './invalid-option.ts';
import { systemClock } from '../domain/clock.ts';
import { operatorScope } from '../domain/operator-scope.ts';
import { type RetentionPolicy, removeRetentionPolicy, retentionPolicies, setRetentionPolicy } from '../domain/retention-policies.ts';

// `chat-gateway retention-policy set|remove|list`: the same domain operations as the
// GraphQL mutations, for an operator at the server, audited with the operator's actor.

export interface PolicyArgs {
  action: string | undefined;
  tenant: string;
  flow?: string;
  maxAgeDays?: string;
  id?: string;
}

/** Runs one policy command; the lines to print, or a ValidationError/NotFoundError to report. */
export async function runPolicyCommand(store: DataStore, args: PolicyArgs): Promise<string[]> {
  const scope = await operatorScope(store.db, args.tenant, ['admin']);
  if (!scope) throw invalidOption('tenant', `there is no tenant named "${args.tenant}"`);
  const deps = { store, clock: systemClock };
  switch (args.action) {
    case 'set': {
      const policy = await setRetentionPolicy(deps, scope, { flowId: args.flow ?? null, maxAgeDays: days(args.maxAgeDays) });
      return [`Set retention policy ${policy.id}: ${describe(policy)}.`];
    }
    case 'remove': {
      const policy = await removeRetentionPolicy(deps, scope, args.id ?? '');
      return [`Removed retention policy ${policy.id} (${describe(policy)}).`];
    }
    case 'list': {
      const policies = await retentionPolicies(deps, scope);
      return policies.length === 0 ? ['No retention policies.'] : policies.map((p) => `${p.id}  ${describe(p)}  (updated ${p.updatedAt})`);
    }
    default:
      throw invalidOption('action', 'must be set, remove or list');
  }
}

function describe(p: RetentionPolicy): string {
  return `${p.flowId === null ? "the tenant's default" : `flow ${p.flowId}`}: chats idle for more than ${p.maxAgeDays} day(s) are erased`;
}

/** A whole number as typed; the domain says what range it must be in. */
function days(value: string | undefined): number {
  if (value === undefined || !/^-?\d+$/.test(value.trim())) throw invalidOption('max-age-days', 'must be a whole number of days');
  return Number(value);
}

