import { GraphQLError, getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { hashKey } from '../domain/api-keys.ts';
import { apiKeyFrom } from './api-key.ts';
import { refuse } from './refusal.ts';

/**
 * A token bucket per API key: `perMinute` writes, refilled continuously. Kept in this
 * process, so with several replicas each allows `perMinute` (README "Security").
 */
export class WriteLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one write for `key`: 0 when allowed, else the seconds until the next one is. */
  take(key: string): number {
    const now = this.now();
    const rate = this.perMinute / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 100_000) this.forgetFull(now);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / rate / 1000);
  }

  /** Buckets that have refilled completely carry no state worth keeping. */
  private forgetFull(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) * (this.perMinute / 60_000) >= this.perMinute) this.buckets.delete(key);
    }
  }
}

const message = (seconds: number) => `Too many writes with this API key; retry in ${seconds} s`;

/**
 * Limits GraphQL mutations and REST writes per API key, answering 429 with a
 * Retry-After header (and `retryAfterSeconds` in the GraphQL error).
 */
export function useWriteRateLimit(perMinute: number, graphqlEndpoint: string): Plugin | undefined {
  if (perMinute === 0) return undefined;
  const limiter = new WriteLimiter(perMinute);
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname === graphqlEndpoint || ['GET', 'HEAD', 'OPTIONS'].includes(request.method)) return;
      const key = apiKeyFrom(request.headers);
      if (!key) return; // the route answers 401
      const wait = limiter.take(hashKey(key));
      if (wait === 0) return;
      endResponse(refuse(url.pathname, { status: 429, code: 'RATE_LIMITED', message: message(wait), headers: { 'retry-after': String(wait) } }));
    },
    onExecute({ args, setResultAndStopExecution }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const context = args.contextValue as { request?: Request; connectionParams?: Record<string, unknown> };
      const fromParams = context.connectionParams?.['x-api-key'];
      const key = (context.request && apiKeyFrom(context.request.headers)) ?? (typeof fromParams === 'string' ? fromParams : undefined);
      if (!key) return;
      const wait = limiter.take(hashKey(key));
      if (wait === 0) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError(message(wait), {
            extensions: {
              code: 'RATE_LIMITED',
              retryAfterSeconds: wait,
              http: { status: 429, headers: { 'retry-after': String(wait) } },
            },
          }),
        ],
      });
    },
  };
}
