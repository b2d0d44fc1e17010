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

/** graphql-armor rejects with a bare message; clients get a code to switch on as well. */
const coded =
  (code: string) =>
  (_context: unknown, error: GraphQLError): void => {
    Object.assign(error.extensions, { code });
  };

function tooLarge(limit: number): Response {
  const message = `The request body is larger than ${limit} bytes`;
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] }), {
    status: 413,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

/** Counts a body as it streams in, so a chunked upload without Content-Length is capped too. */
async function exceeds(request: Request, limit: number): Promise<boolean> {
  const reader = request.clone().body?.getReader();
  if (!reader) return false;
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return true;
    }
  }
}

const badRequest = (message: string) =>
  new Response(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }), {
    status: 400,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });

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
          endResponse(badRequest(`The ${name} parameter is not valid JSON`));
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
              extensions: { code: 'DEPTH_LIMIT_EXCEEDED', http: { status: 400 } },
            });
          }
        } else if (c === '}' || c === ')' || c === ']') depth--;
      }
    },
  };
}

function useBodyLimit(limit: number): Plugin {
  return {
    async onRequest({ request, endResponse }) {
      if (request.method === 'GET' || request.method === 'HEAD') return;
      const declared = request.headers.get('content-length');
      if (declared !== null ? Number(declared) > limit : await exceeds(request, limit)) endResponse(tooLarge(limit));
    },
  };
}

/**
 * The ecosystem's guards against abusive operations (graphql-armor: depth, aliases,
 * directives, tokens, cost; yoga: CSRF, introspection), a request body limit and, as
 * yoga's default, no batching. Rejections are GraphQL errors with a code, never crashes.
 */
export function protectionPlugins(limits: Limits): Plugin[] {
  const plugins: Plugin[] = [
    useBodyLimit(limits.maxBodyBytes),
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
    maxAliasesPlugin({ n: limits.maxAliases, onReject: [coded('ALIAS_LIMIT_EXCEEDED')] }) as Plugin,
    maxDirectivesPlugin({ n: limits.maxDirectives, onReject: [coded('DIRECTIVE_LIMIT_EXCEEDED')] }) as Plugin,
    costLimitPlugin({ maxCost: limits.maxCost, ignoreIntrospection: true, onReject: [coded('COST_LIMIT_EXCEEDED')] }) as Plugin,
  ];
  if (!limits.introspection) plugins.push(useDisableIntrospection());
  return plugins;
}
