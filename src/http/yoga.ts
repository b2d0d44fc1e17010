import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { type Plugin, createYoga } from 'graphql-yoga';
import type { Limits } from '../config/config.ts';
import type { Deps } from '../domain/deps.ts';
import type { TokenSource } from '../domain/token-sources.ts';
import type { Context } from '../graphql/context.ts';
import { schema } from '../graphql/schema.ts';
import { scopeOfRequest } from './authenticate.ts';
import { EXAMPLE_OPERATIONS } from './graphiql-examples.ts';
import { codedDomainError, maskErrors } from './graphql-errors.ts';
import { useHealthChecks } from './health.ts';
import { useIdempotencyKeys } from './idempotency.ts';
import { protectionPlugins, useBodyLimit } from './protection.ts';
import { useWriteRateLimit } from './rate-limit.ts';
import { useRequestLog, yogaLogging } from './request-log.ts';
import type { Logger } from '../observability/logger.ts';
import { useRestRoutes } from './rest/rest-routes.ts';

export interface GatewayOptions {
  deps: Deps;
  tokens: TokenSource;
  limits: Limits;
  logger: Logger;
  /** Serves /metrics and counts every request. */
  metrics: Plugin;
  /** Prefills GraphiQL's headers with this key (demo mode only). */
  demoKey?: string;
}

export type Gateway = ReturnType<typeof createGateway>;

export function createGateway({ deps, tokens, limits, logger, metrics, demoKey }: GatewayOptions) {
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    logging: yogaLogging(logger),
    plugins: [
      useBodyLimit(limits.maxBodyBytes),
      useHealthChecks(deps.store),
      metrics,
      useRequestLog(logger),
      ...protectionPlugins(limits),
      useWriteRateLimit(limits.writesPerMinute, '/graphql'),
      useIdempotencyKeys(deps, '/graphql'),
      useRestRoutes(deps, tokens, logger),
    ].filter((plugin) => plugin !== undefined),
    landingPage: false,
    // useBodyLimit limits the body by its Content-Length (reading only a chunked body).
    // Yoga's own limit streams every body through a TransformStream: a stream pipeline,
    // with its AbortController and DOMException, per request (7% of a trivial request's CPU).
    maxRequestBodySize: false,
    maskedErrors: { maskError: maskErrors },
    // The bundled GraphiQL: the default one loads its code from a CDN, which an offline
    // machine (or a locked-down network) cannot reach.
    renderGraphiQL,
    graphiql: {
      title: 'chat-gateway',
      defaultQuery: EXAMPLE_OPERATIONS,
      headers: JSON.stringify(demoKey ? { 'x-api-key': demoKey } : { 'x-api-key': '<your API key>' }),
    },
    context: async ({ request, connectionParams }: { request: Request; connectionParams?: Record<string, unknown> }) => {
      const fromParams = connectionParams?.['x-api-key'] ?? connectionParams?.apiKey;
      try {
        const scope = await scopeOfRequest(deps, request, {
          fallbackKey: typeof fromParams === 'string' ? fromParams : undefined,
        });
        return { deps, tokens, scope } satisfies Context;
      } catch (error) {
        throw codedDomainError(error) ?? error;
      }
    },
  });
}
