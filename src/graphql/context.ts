import type { Deps } from '../domain/deps.ts';
import type { Scope } from '../domain/scope.ts';
import type { TokenSource } from '../domain/token-sources.ts';

/** One per request (or per WebSocket operation): who asks, and what to run against. */
export interface Context {
  deps: Deps;
  scope: Scope;
  tokens: TokenSource;
}
