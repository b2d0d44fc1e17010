import type { Plugin } from 'graphql-yoga';
import type { Deps } from '../../domain/deps.ts';
import type { TokenSource } from '../../domain/token-sources.ts';
import type { Logger } from '../../observability/logger.ts';
import { openApiDocument } from './openapi.ts';
import { type Problem, withProblems } from './problem.ts';
import { routeMatcher } from './route-table.ts';
import { agentThreadRoutes } from './routes/agent-threads.ts';
import { asyncMessageRoutes } from './routes/async-messages.ts';
import { chatMessageRoutes } from './routes/chatmessage.ts';
import { chatThreadRoutes } from './routes/chat-threads.ts';
import { chatRoutes } from './routes/chats.ts';
import { conversationRoutes } from './routes/conversations.ts';

/** The seed APIs' and OpenAI's routes (README "REST compatibility"), each a thin call of a domain operation. */
export const REST_ROUTES = [
  ...asyncMessageRoutes,
  ...chatRoutes,
  ...chatThreadRoutes,
  ...chatMessageRoutes,
  ...agentThreadRoutes,
  ...conversationRoutes,
];

const routes = routeMatcher(REST_ROUTES);

/**
 * How the REST family that serves `pathname` shapes a failure (FastAPI's `detail`,
 * Flowise's `statusCode`, the agents API's `error`); undefined for any other path.
 * Refusals made before a route runs (body size, rate limit, Idempotency-Key) ask here.
 */
export function restFailureAt(pathname: string): ((problem: Problem) => Response) | undefined {
  return routes.failAt(pathname);
}

/**
 * Serves the REST routes and /openapi.json from the same server as GraphQL: a request
 * that matches a route is answered before yoga looks at it.
 */
export function useRestRoutes(deps: Deps, tokens: TokenSource, logger: Logger): Plugin {
  const openApi = JSON.stringify(openApiDocument(REST_ROUTES));
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname === '/openapi.json' && request.method === 'GET') {
        endResponse(new Response(openApi, { headers: { 'content-type': 'application/json; charset=utf-8' } }));
        return;
      }
      const found = routes.match(request.method, url.pathname);
      if (!found) return;
      if (found.kind === 'method-not-allowed') {
        const headers = { allow: found.allow.join(', ') };
        endResponse(found.fail({ kind: 'refused', status: 405, code: 'METHOD_NOT_ALLOWED', message: 'Method Not Allowed', headers }));
        return;
      }
      const { route, params } = found;
      return withProblems(route.fail, () => route.handle({ request, url, params, deps, tokens, logger })).then(endResponse);
    },
  };
}
