import { type DocumentNode, type GraphQLError, getOperationAST } from 'graphql';
import { type Plugin, isAsyncIterable } from 'graphql-yoga';
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The two GraphQL metrics kept, under the names and labels @graphql-yoga/plugin-prometheus
 * gives them, in hooks of our own that do only what these two need. That plugin (even with
 * only these two metrics on) costs a trivial request about 0.08 ms of CPU, a quarter of its
 * whole: per request it builds label objects, filters hook lists and reads the clock in
 * every phase (bench/RESULTS.md, issue 19).
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
  // One record a request: every phase's context holds the request it serves (over a
  // WebSocket, one made for each subscription, which has no arrival time to measure from).
  const requests = new WeakMap<Request, { started?: number; operation?: Operation }>();
  const requestOf = (context: unknown) => (context as { request?: Request }).request;
  const of = (context: unknown) => {
    const request = requestOf(context);
    return request && requests.get(request);
  };
  const count = (phase: string, context: unknown, list: readonly GraphQLError[]) => {
    const operation = of(context)?.operation;
    for (const error of list) {
      errors.inc({
        phase,
        operationName: operation?.name ?? 'Anonymous',
        operationType: operation?.type ?? 'unknown',
        ...(error.path ? { path: error.path.join('.') } : {}),
      });
    }
  };
  const countResult = (phase: string, context: unknown, result: unknown) => {
    if (isAsyncIterable(result)) return;
    const list = (result as { errors?: readonly GraphQLError[] }).errors;
    if (list?.length) count(phase, context, list);
  };
  return {
    onPluginInit({ registerContextErrorHandler }) {
      registerContextErrorHandler(({ context, error }) => count('context', context, [error as GraphQLError]));
    },
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== endpoint) {
        requests.set(request, { started: performance.now() });
        return;
      }
      return registry.metrics().then((text) => {
        endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } }));
      });
    },
    onParse({ context }) {
      return ({ result }) => {
        if (result instanceof Error) {
          count('parse', context, [result as GraphQLError]);
          return;
        }
        const request = requestOf(context);
        if (!request) return;
        const operation = operationOf(result, (context as { params?: { operationName?: string } }).params?.operationName);
        const record = requests.get(request);
        if (record) record.operation = operation;
        else requests.set(request, { operation });
      };
    },
    onValidate({ context }) {
      return ({ valid, result }) => {
        if (!valid) count('validate', context, result as readonly GraphQLError[]);
      };
    },
    onExecute({ args }) {
      return { onExecuteDone: ({ result }) => countResult('execute', args.contextValue, result) };
    },
    onSubscribe({ args }) {
      return {
        onSubscribeResult: ({ result }) => countResult('subscribe', args.contextValue, result),
        onSubscribeError: ({ error }) => count('subscribe', args.contextValue, [error as GraphQLError]),
      };
    },
    onResponse({ request, response }) {
      const record = requests.get(request);
      if (record?.started === undefined || !record.operation) return;
      const { name, type } = record.operation;
      duration.observe({ operationName: name, operationType: type, method: request.method, statusCode: response.status }, (performance.now() - record.started) / 1000);
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
