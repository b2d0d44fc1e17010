import { authenticate } from '../domain/api-keys.ts';
import type { Deps, Scope } from '../domain/deps.ts';
import { newId } from '../domain/ids.ts';
import { apiKeyFrom } from './api-key.ts';

/**
 * The scope of one request: the tenant and actor of its API key, and a request id
 * (the caller's `x-request-id` when it looks sane, else a new one). Throws
 * UnauthenticatedError for a missing, unknown or revoked key.
 */
export async function scopeOfRequest(deps: Deps, headers: Headers, fallbackKey?: string): Promise<Scope> {
  const who = await authenticate(deps.store.db, apiKeyFrom(headers) ?? fallbackKey);
  const given = headers.get('x-request-id');
  const requestId = given && /^[\w.:-]{1,128}$/.test(given) ? given : newId();
  return { ...who, requestId };
}
