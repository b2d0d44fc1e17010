import { createHash } from 'node:crypto';
import { Kind, getOperationAST, parse } from 'graphql';
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

/**
 * Whether the answer of this request may be kept although the request itself erases: a
 * delete's own answer holds nothing it erased (a permanent deleteThread leaves out the
 * title), so its retry still replays. A GraphQL document with more than one root field
 * may have read, in another field, what its delete then erased: its answer is kept without
 * the body, as other requests' are when an erasure commits while they run.
 */
function keptThroughItsOwnErasure(graphql: boolean, body: string): boolean {
  if (!graphql) return true;
  try {
    const { query, operationName } = JSON.parse(body) as { query?: unknown; operationName?: unknown };
    if (typeof query !== 'string') return true;
    const operation = getOperationAST(parse(query), typeof operationName === 'string' ? operationName : undefined);
    const roots = operation?.selectionSet.selections ?? [];
    return roots.length <= 1 && roots.every((s) => s.kind === Kind.FIELD);
  } catch {
    return true; // a document that does not parse runs nothing
  }
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
      const body = await request.clone().text();
      const fingerprint = fingerprintOf(request.method, url.pathname + url.search, body);
      const owner = { tenantId: scope.tenantId, requestId: keptThroughItsOwnErasure(url.pathname === graphqlEndpoint, body) ? scope.requestId : null };
      const claim = await claimIdempotencyKey(deps, owner, key, fingerprint);
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
