import { createHash } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Deps } from '../domain/deps.ts';
import type { Scope } from '../domain/scope.ts';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from '../domain/idempotency.ts';
import { scopeOfRequest } from './authenticate.ts';
import { refuse } from './refusal.ts';

const KEY = /^[\x21-\x7e]{1,255}$/;

/** What makes a retry the same request: method, path, query and body. */
export function fingerprintOf(method: string, pathAndQuery: string, body: string): string {
  return createHash('sha256').update(`${method} ${pathAndQuery}\n${body}`).digest('hex');
}

/** Writes that a retry must not repeat: GraphQL over POST (not subscriptions) and every REST call but GET. */
function isWrite(request: Request, url: URL, graphqlEndpoint: string): boolean {
  if (url.pathname === graphqlEndpoint) {
    return request.method === 'POST' && !(request.headers.get('accept') ?? '').includes('text/event-stream');
  }
  return request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS';
}

/**
 * `Idempotency-Key` on writes (GraphQL and REST): the first answer is stored per tenant
 * and key and replayed to a retry of the same request (marked `Idempotent-Replayed`); the
 * same key with a different request is refused (422), and while the first is still
 * running, so is its twin (409). A 5xx frees the key so the retry runs again. Once a
 * permanent delete has redacted the stored answer, the retry is told the request ran (410)
 * and it is not run again.
 */
export function useIdempotencyKeys(deps: Deps, graphqlEndpoint: string): Plugin {
  const claimed = new WeakMap<Request, { tenantId: string; key: string }>();
  return {
    async onRequest({ request, url, endResponse }) {
      const key = request.headers.get('idempotency-key');
      if (key === null || !isWrite(request, url, graphqlEndpoint)) return;
      if (!KEY.test(key)) {
        endResponse(refuse(url.pathname, { status: 400, code: 'BAD_IDEMPOTENCY_KEY', message: 'Idempotency-Key must be 1 to 255 printable ASCII characters' }));
        return;
      }
      let scope: Scope;
      try {
        scope = await scopeOfRequest(deps, request);
      } catch {
        return; // the request itself answers 401
      }
      const fingerprint = fingerprintOf(request.method, url.pathname + url.search, await request.clone().text());
      const claim = await claimIdempotencyKey(deps, scope, key, fingerprint);
      switch (claim.kind) {
        case 'run':
          claimed.set(request, { tenantId: scope.tenantId, key });
          return;
        case 'replay':
          endResponse(
            new Response(claim.body === '' ? null : claim.body, {
              status: claim.status,
              headers: { ...(claim.contentType && { 'content-type': claim.contentType }), 'idempotent-replayed': 'true' },
            }),
          );
          return;
        case 'reused':
          endResponse(refuse(url.pathname, { status: 422, code: 'IDEMPOTENCY_KEY_REUSED', message: 'This Idempotency-Key was used for a different request' }));
          return;
        case 'in-progress':
          endResponse(refuse(url.pathname, { status: 409, code: 'IDEMPOTENCY_KEY_IN_PROGRESS', message: 'A request with this Idempotency-Key is still running' }));
          return;
        case 'erased':
          endResponse(
            refuse(url.pathname, {
              status: 410,
              code: 'IDEMPOTENT_ANSWER_ERASED',
              message: 'This request already ran; its stored answer held data that has since been erased, so it is not replayed',
            }),
          );
          return;
      }
    },
    async onResponse({ request, response }) {
      const claim = claimed.get(request);
      if (!claim) return;
      claimed.delete(request);
      if (response.status >= 500) {
        await releaseIdempotencyKey(deps, claim.tenantId, claim.key);
        return;
      }
      const body = await response.clone().text();
      await completeIdempotencyKey(deps, claim.tenantId, claim.key, {
        status: response.status,
        contentType: response.headers.get('content-type'),
        body,
      });
    },
  };
}
