import type { Plugin } from 'graphql-yoga';
import packageJson from '../../../package.json' with { type: 'json' };
import type { Deps } from '../../domain/deps.ts';
import type { TokenSource } from '../../domain/token-sources.ts';
import { openApiDocument } from './openapi.ts';
import { json } from './problem.ts';
import { routeMatcher } from './route-table.ts';
import { agentThreadRoutes } from './routes/agent-threads.ts';
import { asyncMessageRoutes } from './routes/async-messages.ts';
import { chatMessageRoutes } from './routes/chatmessage.ts';
import { chatThreadRoutes } from './routes/chat-threads.ts';
import { chatRoutes } from './routes/chats.ts';

/** The seed APIs' routes (DESIGN.md "REST compatibility"), each a thin call of a domain operation. */
export const REST_ROUTES = [
  ...asyncMessageRoutes,
  ...chatRoutes,
  ...chatThreadRoutes,
  ...chatMessageRoutes,
  ...agentThreadRoutes,
];

/**
 * Serves the REST routes and /openapi.json from the same server as GraphQL: a request
 * that matches a route is answered before yoga looks at it.
 */
export function useRestRoutes(deps: Deps, tokens: TokenSource): Plugin {
  const match = routeMatcher(REST_ROUTES);
  const openApi = JSON.stringify(openApiDocument(REST_ROUTES, packageJson.version));
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname === '/openapi.json' && request.method === 'GET') {
        endResponse(new Response(openApi, { headers: { 'content-type': 'application/json; charset=utf-8' } }));
        return;
      }
      const found = match(request.method, url.pathname);
      if (!found) return;
      if (found.kind === 'method-not-allowed') {
        endResponse(json({ detail: 'Method Not Allowed' }, 405, { allow: found.allow.join(', ') }));
        return;
      }
      return found.route.handle({ request, url, params: found.params, deps, tokens }).then(endResponse);
    },
  };
}
