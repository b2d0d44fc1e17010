import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Limits } from '../config/config.ts';
import { refuse } from './refusal.ts';

/**
 * A refused document is a request error, as a validation error is: 400 under
 * `application/graphql-response+json`, 200 under legacy `application/json` (yoga's
 * `spec` flag), as the GraphQL-over-HTTP spec asks.
 */
const REQUEST_ERROR = { spec: true, status: 400 };

/** graphql-armor rejects with a bare message; clients get a code to switch on and the status. */
const coded =
  (code: string) =>
  (_context: unknown, error: GraphQLError): void => {
    Object.assign(error.extensions, { code, http: REQUEST_ERROR });
  };

/**
 * Reads a body sent without Content-Length (chunked) up to `limit` bytes, and no further:
 * undefined once it is larger. A request's body stream can be read only once (a clone
 * of a Node request shares it), so what was read is handed on as the body.
 */
async function readUpTo(body: ReadableStream<Uint8Array<ArrayBuffer>>, limit: number): Promise<Blob | undefined> {
  const reader = body.getReader();
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return new Blob(parts);
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
}

/** GET parameters that must hold JSON are checked here: yoga would answer a 500 for them. */
function useQueryStringJson(graphqlEndpoint: string): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      if (request.method !== 'GET' || url.pathname !== graphqlEndpoint) return;
      for (const name of ['variables', 'extensions']) {
        const raw = url.searchParams.get(name);
        if (raw === null || raw === '') continue;
        try {
          JSON.parse(raw);
        } catch {
          endResponse(refuse(url.pathname, { status: 400, code: 'BAD_REQUEST', message: `The ${name} parameter is not valid JSON` }));
          return;
        }
      }
    },
  };
}

/**
 * The parser recurses once per nesting level, so a document thousands of levels deep
 * exhausts the stack before any token limit; nesting is counted before parsing.
 */
function useNestingLimit(maxNesting: number): Plugin {
  return {
    onParse({ params }) {
      const source = typeof params.source === 'string' ? params.source : params.source.body;
      let depth = 0;
      let inString = false;
      for (let i = 0; i < source.length; i++) {
        const c = source[i];
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '{' || c === '(' || c === '[') {
          depth++;
          if (depth > maxNesting) {
            throw new GraphQLError(`The document nests deeper than ${maxNesting} levels`, {
              extensions: { code: 'DEPTH_LIMIT_EXCEEDED', http: REQUEST_ERROR },
            });
          }
        } else if (c === '}' || c === ')' || c === ']') depth--;
      }
    },
  };
}

/**
 * Refuses a body over `limit` bytes with 413, on every path: by its Content-Length
 * without reading it, or, sent chunked, as soon as the bytes read pass the limit. It
 * must come first among the plugins: a chunked body is replaced by the bytes read, and
 * every later plugin and handler has to see that request.
 */
export function useBodyLimit(limit: number): Plugin {
  const tooLarge = {
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
    message: `The request body is larger than ${limit} bytes`,
    // Otherwise Node reads the rest of the refused body to keep the connection for reuse.
    headers: { connection: 'close' },
  };
  return {
    async onRequest({ request, url, setRequest, endResponse, fetchAPI }) {
      if (request.method === 'GET' || request.method === 'HEAD') return;
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (Number(declared) > limit) endResponse(refuse(url.pathname, tooLarge));
        return;
      }
      if (!request.body) return;
      const body = await readUpTo(request.body, limit);
      if (!body) {
        endResponse(refuse(url.pathname, tooLarge));
        return;
      }
      const headers = new fetchAPI.Headers(request.headers);
      headers.delete('transfer-encoding');
      headers.set('content-length', String(body.size));
      setRequest(new fetchAPI.Request(request.url, { method: request.method, headers, body, signal: request.signal }));
    },
  };
}

/**
 * The ecosystem's guards against abusive operations (graphql-armor: depth, aliases,
 * directives, tokens, cost; yoga: CSRF, introspection) and, as yoga's default, no
 * batching. Rejections are GraphQL errors with a code, never crashes.
 */
export function protectionPlugins(limits: Limits): Plugin[] {
  const plugins: Plugin[] = [
    useQueryStringJson('/graphql'),
    // Far beyond any real query (maxDepth guards those); only stops parser stack exhaustion.
    useNestingLimit(Math.max(100, limits.maxDepth * 4)),
    // Every client sends its API key in a header, which no cross-site form can do.
    useCSRFPrevention({ requestHeaders: ['x-api-key', 'authorization', 'x-graphql-yoga-csrf'] }),
    maxTokensPlugin({ n: limits.maxTokens, onReject: [coded('TOKEN_LIMIT_EXCEEDED')] }) as Plugin,
    maxDepthPlugin({
      n: limits.maxDepth,
      ignoreIntrospection: true,
      flattenFragments: true,
      onReject: [coded('DEPTH_LIMIT_EXCEEDED')],
    }) as Plugin,
    // graphql-armor lets `__typename` aliases through by default; 1,000 of them are work too.
    maxAliasesPlugin({ n: limits.maxAliases, allowList: [], onReject: [coded('ALIAS_LIMIT_EXCEEDED')] }) as Plugin,
    maxDirectivesPlugin({ n: limits.maxDirectives, onReject: [coded('DIRECTIVE_LIMIT_EXCEEDED')] }) as Plugin,
    costLimitPlugin({ maxCost: limits.maxCost, ignoreIntrospection: true, onReject: [coded('COST_LIMIT_EXCEEDED')] }) as Plugin,
  ];
  if (!limits.introspection) plugins.push(useDisableIntrospection());
  return plugins;
}
