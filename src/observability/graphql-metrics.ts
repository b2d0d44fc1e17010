import { type DocumentNode, type GraphQLError, getOperationAST } from 'graphql';
import { type Plugin, isAsyncIterable } from 'graphql-yoga';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The two GraphQL metrics kept, under the names and labels @graphql-yoga/plugin-prometheus
 * gives them, in four hooks. That plugin (even with only these two metrics on) costs a
 * trivial request about 0.08 ms of CPU, a quarter of its whole: per request it builds label
 * objects, filters hook lists and reads the clock in every phase (bench/RESULTS.md, issue 19).
 *
 * - `graphql_yoga_http_duration`: every GraphQL request that parsed, from its arrival to
 *   its answer, by operation name and type, method and status. No url label: a GET's URL
 *   holds its whole query and variables, a new series for every distinct request.
 * - `graphql_envelop_error_result`: errors by phase (parse, validate, context, execute,
 *   subscribe), operation and path.
 */
export function useGraphqlMetrics(registry: Registry, endpoint: string): Plugin {
  const duration = new Histogram({
    name: 'graphql_yoga_http_duration',
    help: 'Time spent on HTTP connection',
    labelNames: ['operationName', 'operationType', 'method', 'statusCode'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'graphql_envelop_error_result',
    help: 'Counts the amount of errors reported from all phases',
    labelNames: ['operationType', 'operationName', 'path', 'phase'],
    registers: [registry],
  });
  const started = new WeakMap<Request, number>();
  const operations = new WeakMap<object, Operation>();
  const count = (phase: string, operation: Operation | undefined, list: readonly GraphQLError[]) => {
    for (const error of list) {
      errors.inc({
        phase,
        operationName: operation?.name ?? 'Anonymous',
        operationType: operation?.type ?? 'unknown',
        ...(error.path ? { path: error.path.join('.') } : {}),
      });
    }
  };
  const resultErrors = (phase: string, context: object) => (result: unknown) => {
    const list = (result as { errors?: readonly GraphQLError[] }).errors;
    if (list?.length) count(phase, operations.get(context), list);
  };
  return {
    onPluginInit({ registerContextErrorHandler }) {
      registerContextErrorHandler(({ context, error }) => count('context', operations.get(context), [error as GraphQLError]));
    },
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) {
        started.set(request, performance.now());
        return;
      }
      return registry.metrics().then((text) => {
        endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } }));
      });
    },
    onParse({ context }) {
      return ({ result }) => {
        if (result instanceof Error) return count('parse', undefined, [result as GraphQLError]);
        const operation = operationOf(result, (context as { params?: { operationName?: string } }).params?.operationName);
        operations.set(context, operation);
        const request = (context as { request?: Request }).request;
        if (request) operations.set(request, operation);
      };
    },
    onValidate({ context }) {
      return ({ valid, result }) => {
        if (!valid) count('validate', operations.get(context), result as readonly GraphQLError[]);
      };
    },
    onExecute({ args }) {
      const record = resultErrors('execute', args.contextValue);
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) record(result);
        },
      };
    },
    onSubscribe({ args }) {
      const record = resultErrors('subscribe', args.contextValue);
      return {
        onSubscribeResult({ result }) {
          if (!isAsyncIterable(result)) record(result);
        },
        onSubscribeError({ error }) {
          count('subscribe', operations.get(args.contextValue), [error as GraphQLError]);
        },
      };
    },
    onResponse({ request, response }) {
      const start = started.get(request);
      const operation = operations.get(request);
      if (start === undefined || !operation) return;
      duration.observe(
        { operationName: operation.name, operationType: operation.type, method: request.method, statusCode: response.status },
        (performance.now() - start) / 1000,
      );
    },
  };
}

interface Operation {
  name: string;
  type: string;
}

function operationOf(document: DocumentNode, operationName: string | undefined): Operation {
  const operation = getOperationAST(document, operationName);
  return { name: operation?.name?.value ?? 'Anonymous', type: operation?.operation ?? 'unknown' };
}
