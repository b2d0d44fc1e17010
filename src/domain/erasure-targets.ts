import { activeTargetsOfFlow, findActiveTarget, insertErasureTarget, markTargetRemoved } from '../data/erasure-targets.repository.ts';
import { findFlows } from '../data/flows.repository.ts';
import type { ErasureTargetKind, ErasureTargetRow } from '../data/tables.ts';
import { recordAudit } from './audit.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import { NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import { keyPatternProblems } from './key-pattern.ts';
import type { Scope } from './scope.ts';
import { hostAllowed, withoutCredentials } from './target-urls.ts';
import { Checker, isId } from './validation.ts';

/** A place outside this service holding copies of a flow's messages, as shown: never its credentials. */
export interface ErasureTarget {
  id: string;
  flowId: string;
  kind: ErasureTargetKind;
  name: string;
  url: string;
  keyPattern: string | null;
  createdAt: string;
}

export interface AddErasureTargetInput {
  flowId: string;
  kind: ErasureTargetKind;
  name: string;
  url: string;
  keyPattern?: string | null;
  secret?: string | null;
}

const SCHEMES: Record<ErasureTargetKind, readonly string[]> = { REDIS: ['redis:', 'rediss:'], WEBHOOK: ['https:', 'http:'] };
const MAX_URL = 2048;
/** A signing secret shorter than this is guessable; Stripe's are 32 bytes. */
const MIN_SECRET = 16;
const LIMIT_SECRET = 512;

export function erasureTargetOf(row: ErasureTargetRow): ErasureTarget {
  return {
    id: row.id,
    flowId: row.flow_id,
    kind: row.kind,
    name: row.name,
    url: withoutCredentials(row.url),
    keyPattern: row.key_pattern,
    createdAt: row.created_at,
  };
}

/** Adds a target to one of the tenant's flows; its deletes from now on erase the copies there too. */
export async function addErasureTarget(deps: Deps, scope: Scope, input: AddErasureTargetInput): Promise<ErasureTarget> {
  const row = checkTarget(deps, scope, input);
  return deps.store.db.transaction().execute(async (trx) => {
    const [flow] = await findFlows(trx, scope.tenantId, [row.flow_id]);
    if (!flow) throw new NotFoundError('FLOW', row.flow_id);
    await insertErasureTarget(trx, row);
    await recordAudit(
      trx,
      scope,
      { action: 'erasure_target.add', targetType: 'ERASURE_TARGET', targetId: row.id, details: { flowId: row.flow_id, kind: row.kind, name: row.name } },
      row.created_at,
    );
    return erasureTargetOf(row);
  });
}

/** Stops new deletes from reaching the target; deliveries already queued for it still go out. */
export async function removeErasureTarget(deps: Deps, scope: Scope, id: string): Promise<ErasureTarget> {
  if (!isId(id)) throw new NotFoundError('ERASURE_TARGET', id);
  const now = isoNow(deps.clock);
  return deps.store.db.transaction().execute(async (trx) => {
    const row = await findActiveTarget(trx, scope.tenantId, id.toLowerCase());
    if (!row) throw new NotFoundError('ERASURE_TARGET', id);
    await markTargetRemoved(trx, row.id, now);
    await recordAudit(
      trx,
      scope,
      { action: 'erasure_target.remove', targetType: 'ERASURE_TARGET', targetId: row.id, details: { flowId: row.flow_id, kind: row.kind, name: row.name } },
      now,
    );
    return erasureTargetOf(row);
  });
}

export async function targetsOfFlow(deps: Deps, scope: Scope, flowId: string): Promise<ErasureTarget[]> {
  return (await activeTargetsOfFlow(deps.store.db, scope.tenantId, flowId)).map(erasureTargetOf);
}

/** Every problem of the input at once (ValidationError), or the row to store. */
function checkTarget(deps: Deps, scope: Scope, input: AddErasureTargetInput): ErasureTargetRow {
  const check = new Checker();
  const flowId = check.id(['input', 'flowId'], input.flowId);
  const name = check.text(['input', 'name'], input.name);
  const url = check.text(['input', 'url'], input.url, MAX_URL);
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    check.fail(['input', 'url'], 'must be an absolute URL');
  }
  if (parsed && !SCHEMES[input.kind].includes(parsed.protocol)) {
    check.fail(['input', 'url'], `a ${input.kind} target's URL must start with ${SCHEMES[input.kind].map((s) => `${s}//`).join(' or ')}`);
  } else if (parsed && input.kind === 'WEBHOOK' && (parsed.username !== '' || parsed.password !== '')) {
    // fetch refuses such URLs; a receiver authenticates the event by its signature instead.
    check.fail(['input', 'url'], "a WEBHOOK target's URL must not hold credentials: the secret signs each event");
  } else if (parsed && !hostAllowed(url, deps.settings.erasureTargetHosts)) {
    check.fail(
      ['input', 'url'],
      deps.settings.erasureTargetHosts.length === 0
        ? 'no erasure target host is allowed: the operator lists them in ERASURE_TARGET_HOSTS'
        : `host ${parsed.host} is not in ERASURE_TARGET_HOSTS`,
    );
  }
  const keyPattern = input.keyPattern ?? null;
  const secret = input.secret ?? null;
  if (input.kind === 'REDIS') {
    if (keyPattern === null) check.fail(['input', 'keyPattern'], 'a REDIS target needs a keyPattern, e.g. memory:{sessionId}');
    else for (const problem of keyPatternProblems(keyPattern)) check.fail(['input', 'keyPattern'], problem);
    if (secret !== null) check.fail(['input', 'secret'], 'a REDIS target takes its password in the URL (redis://:password@host:6379)');
  } else {
    if (keyPattern !== null) check.fail(['input', 'keyPattern'], 'only a REDIS target has a keyPattern');
    if (secret === null) check.fail(['input', 'secret'], 'a WEBHOOK target needs the secret its events are signed with');
    else if (secret.length < MIN_SECRET || secret.length > LIMIT_SECRET) check.fail(['input', 'secret'], `must be ${MIN_SECRET} to ${LIMIT_SECRET} characters`);
  }
  check.done();
  return {
    id: newId(),
    tenant_id: scope.tenantId,
    flow_id: flowId,
    kind: input.kind,
    name,
    url,
    key_pattern: keyPattern,
    secret,
    created_at: isoNow(deps.clock),
    removed_at: null,
  };
}
