import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Scope } from '../domain/scope.ts';
import { isDomainError } from '../domain/errors.ts';
import type { Logger } from '../observability/logger.ts';
import { requestIdOf } from './authenticate.ts';

/**
 * Gives every request an id (the caller's `x-request-id` when sane, else a new one) that
 * the context, the audit log, the logs and the `x-request-id` response header share, and
 * logs each GraphQL operation with its tenant, name and duration.
 */
export function useRequestLog(logger: Logger): Plugin {
  return {
    onRequest({ request }) {
      requestIdOf(request);
    },
    onResponse({ request, response }) {
      response.headers.set('x-request-id', requestIdOf(request));
    },
    onExecute({ args }) {
      const started = performance.now();
      const context = args.contextValue as { scope?: Scope };
      const operation = getOperationAST(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          // Runs before yoga masks the errors, so the log keeps what the client never sees.
          const errors = 'errors' in result ? (result.errors ?? []) : [];
          for (const error of errors) {
            if (error.originalError && !(error.originalError instanceof GraphQLError) && !isDomainError(error.originalError)) {
              logger.error({ requestId: context.scope?.requestId, path: error.path, err: error.originalError }, 'unexpected error');
            }
          }
          logger.info(
            {
              requestId: context.scope?.requestId,
              tenant: context.scope?.tenantId,
              actor: context.scope?.actor,
              operation: args.operationName ?? operation?.name?.value ?? null,
              kind: operation?.operation,
              durationMs: Math.round((performance.now() - started) * 10) / 10,
            },
            'graphql operation',
          );
        },
      };
    },
  };
}

/** Yoga's own messages (unexpected errors among them) through the same logger. */
export function yogaLogging(logger: Logger) {
  return {
    debug: (...args: unknown[]) => logger.debug({ args }, 'yoga'),
    info: (...args: unknown[]) => logger.info({ args }, 'yoga'),
    warn: (...args: unknown[]) => logger.warn({ args }, 'yoga'),
    error: (...args: unknown[]) => logger.error({ err: args.find((a) => a instanceof Error), args: args.filter((a) => !(a instanceof Error)) }, 'yoga error'),
  };
}
