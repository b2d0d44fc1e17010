import type { Deps } from '../../domain/deps.ts';
import type { Scope } from '../../domain/scope.ts';
import type { TokenSource } from '../../domain/token-sources.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Problem } from './problem.ts';

/** What a REST handler gets: the request, its path parameters and the process's dependencies. */
export interface RestContext {
  request: Request;
  url: URL;
  params: Record<string, string>;
  deps: Deps;
  tokens: TokenSource;
  /** For what a route does after its answer has started (a streamed export's outcome). */
  logger: Logger;
}

/** An OpenAPI 3.1 operation object, kept beside the handler it documents. */
export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: Record<string, unknown>[];
  requestBody?: Record<string, unknown>;
  responses: Record<string, unknown>;
}

export interface RestRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI style: /api/v1/chats/{chat_id} */
  path: string;
  /**
   * Its entry in /openapi.json; null: served but not documented, for a path a generated
   * client has no use for (one that only ever answers an error).
   */
  doc: OpenApiOperation | null;
  /** Throws domain errors; `fail` answers them. */
  handle(ctx: RestContext): Promise<Response>;
  /**
   * Every failure on this route in its seed API's shape and status, the handler's and
   * the refusals made before it runs alike. Routes of one path share a family.
   */
  fail(problem: Problem): Response;
}

/** Authenticates a REST request the same way as GraphQL, or throws UnauthenticatedError. */
export type Authenticate = (request: Request) => Promise<Scope>;

interface CompiledRoute {
  route: RestRoute;
  pattern: RegExp;
  names: string[];
}

function compile(route: RestRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]*)';
  });
  return { route, pattern: new RegExp(`^${source}/?$`), names };
}

export type Match =
  | { kind: 'route'; route: RestRoute; params: Record<string, string> }
  /** `fail` is the family's of the path's routes. */
  | { kind: 'method-not-allowed'; allow: string[]; fail: RestRoute['fail'] };

export interface RouteMatcher {
  /** The route for a request; path parameters are percent-decoded. */
  match(method: string, pathname: string): Match | undefined;
  /** How the routes at `pathname` answer failures, whatever the method; undefined off the table. */
  failAt(pathname: string): RestRoute['fail'] | undefined;
}

/** `/api/v1/chats/{chat_id}` → `api`: every route's is a literal, so one Set lookup turns away most paths. */
function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return path.slice(1, end < 0 ? undefined : end);
}

export function routeMatcher(routes: readonly RestRoute[]): RouteMatcher {
  const compiled = routes.map(compile);
  const roots = new Set(routes.map((route) => firstSegment(route.path)));
  if ([...roots].some((root) => root.includes('{'))) throw new Error('a REST route must begin with a literal path segment');
  return {
    match(method, pathname) {
      // Every GraphQL request passes here: one lookup instead of a pattern per route.
      if (!roots.has(firstSegment(pathname))) return undefined;
      const allow: string[] = [];
      for (const c of compiled) {
        const m = c.pattern.exec(pathname);
        if (!m) continue;
        if (c.route.method !== method) {
          allow.push(c.route.method);
          continue;
        }
        const params: Record<string, string> = {};
        for (const [i, name] of c.names.entries()) {
          try {
            params[name] = decodeURIComponent(m[i + 1] ?? '');
          } catch {
            params[name] = m[i + 1] ?? '';
          }
        }
        return { kind: 'route', route: c.route, params };
      }
      // No pattern matched (every GraphQL request): nothing to refuse either.
      if (allow.length === 0) return undefined;
      const fail = this.failAt(pathname);
      return fail ? { kind: 'method-not-allowed', allow, fail } : undefined;
    },
    failAt(pathname) {
      if (!roots.has(firstSegment(pathname))) return undefined;
      return compiled.find((c) => c.pattern.test(pathname))?.route.fail;
    },
  };
}
