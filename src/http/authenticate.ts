import { randomUUID } from 'node:crypto';
import { type Permission, authenticate, requirePermission } from '../domain/api-keys.ts';
import type { Deps } from '../domain/deps.ts';
import type { Scope } from '../domain/scope.ts';
import { apiKeyFrom } from './api-key.ts';

const requestIds = new WeakMap<Request, string>();

/**
 * The request's id: the caller's `x-request-id` when it looks sane, else a new one,
 * the same on every call for one request (context, audit, logs and response header).
 * A new one is a random UUID: it names a request, it orders nothing, and node's pooled
 * randomUUID costs a fraction of a v7's fresh random bytes (4 % of a trivial request).
 */
export function requestIdOf(request: Request): string {
  let id = requestIds.get(request);
  if (id === undefined) {
    const given = request.headers.get('x-request-id');
    id = given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    requestIds.set(request, id);
  }
  return id;
}

/**
 * The scope of one request: the tenant, actor and permissions of its API key, and its
 * request id. Throws UnauthenticatedError for a missing, unknown or revoked key, and
 * ForbiddenError when the key lacks the permission `need`.
 */
export async function scopeOfRequest(
  deps: Deps,
  request: Request,
  options: { need?: Permission; fallbackKey?: string } = {},
): Promise<Scope> {
  const who = await authenticate(deps.store, apiKeyFrom(request.headers) ?? options.fallbackKey);
  if (options.need) requirePermission(who.permissions, options.need);
  return { ...who, requestId: requestIdOf(request) };
}
