import { type Permission, authenticate, requirePermission } from '../domain/api-keys.ts';
import type { Deps, Scope } from '../domain/deps.ts';
import { newId } from '../domain/ids.ts';
import { apiKeyFrom } from './api-key.ts';

/** The request id: the caller's `x-request-id` when it looks sane, else a new one. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get('x-request-id');
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : newId();
}

/**
 * The scope of one request: the tenant, actor and permissions of its API key, and its
 * request id. Throws UnauthenticatedError for a missing, unknown or revoked key, and
 * ForbiddenError when the key lacks the permission `need`.
 */
export async function scopeOfRequest(
  deps: Deps,
  headers: Headers,
  options: { need?: Permission; fallbackKey?: string } = {},
): Promise<Scope> {
  const who = await authenticate(deps.store.db, apiKeyFrom(headers) ?? options.fallbackKey);
  if (options.need) requirePermission(who.permissions, options.need);
  return { ...who, requestId: requestIdOf(headers) };
}
