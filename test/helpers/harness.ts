import { type App, createApp } from '../../src/app.ts';
import { type Config, type Limits, loadConfig } from '../../src/config/config.ts';
import { ALL_PERMISSIONS, createApiKey } from '../../src/domain/api-keys.ts';
import { type Clock, systemClock } from '../../src/domain/clock.ts';
import type { TokenSource } from '../../src/domain/token-sources.ts';
import { pino } from 'pino';
import type { Logger } from '../../src/observability/logger.ts';
import { ENGINE, freshDatabase } from './database.ts';

/** A clock tests move by hand: restore windows and purges without waiting. */
export class TestClock implements Clock {
  private ms: number;
  constructor(start = Date.parse('2026-01-15T10:00:00.000Z')) {
    this.ms = start;
  }
  now(): Date {
    // Each reading moves on by 1 ms so successive writes never share a timestamp.
    this.ms += 1;
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface GqlResult<T = any> {
  status: number;
  body: { data?: T; errors?: { message: string; extensions?: Record<string, any>; path?: unknown[] }[] };
  headers: Headers;
}

export interface TestApp {
  app: App;
  clock: TestClock;
  engine: typeof ENGINE;
  dir: string;
  /** The SQLite file; on PostgreSQL the connection URL (tests of file bytes skip there). */
  dbPath: string;
  keys: { a: string; b: string };
  /** Every SQL statement run so far; tests clear it and count. */
  queries: string[];
  gql<T = any>(query: string, variables?: Record<string, unknown>, options?: { key?: string | null; headers?: Record<string, string> }): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

/**
 * A real app on a fresh database (a SQLite file in a temporary folder, or a fresh
 * PostgreSQL schema when TEST_DATABASE_URL is set), with two tenants (A and B) and one
 * key each, called over HTTP through `yoga.fetch`.
 */
export async function startTestApp(
  options: {
    tokens?: TokenSource;
    tokenIntervalMs?: number;
    memory?: boolean;
    limits?: Partial<Limits>;
    logger?: Logger;
    apiKeyCacheMs?: number;
    /** Settings beyond the defaults (e.g. erasureTargetHosts). */
    config?: Partial<Config>;
    /** Real time instead of the hand-moved TestClock (for retries with real backoff). */
    realClock?: boolean;
    /** Seal the audit log on the app's timer too (off: statement counts stay exact; reads still seal). */
    sealTimer?: boolean;
  } = {},
): Promise<TestApp> {
  const database = await freshDatabase(options.memory);
  const dbPath = database.url;
  const clock = new TestClock();
  const defaults = loadConfig({});
  const config = {
    ...defaults,
    databaseUrl: dbPath,
    tokenIntervalMs: options.tokenIntervalMs ?? 5,
    apiKeyCacheMs: options.apiKeyCacheMs ?? defaults.apiKeyCacheMs,
    // Suites write far faster than any client should; the rate limit has its own tests.
    limits: { ...defaults.limits, writesPerMinute: 0, ...options.limits },
    ...options.config,
  };
  const queries: string[] = [];
  const app = await createApp(config, {
    clock: options.realClock ? systemClock : clock,
    purgeTimer: false,
    sealTimer: options.sealTimer ?? false,
    tokens: options.tokens,
    onQuery: (q) => queries.push(q),
    // Operations are not worth a log line each in tests; warnings and errors still show.
    logger: options.logger ?? pino({ level: 'warn' }),
  });
  const now = clock.now().toISOString();
  // Every permission, as the demo keys have; tests of a missing one create such a key.
  const a = await createApiKey(app.deps.store.db, { tenant: 'tenant-a', name: 'key-a', permissions: ALL_PERMISSIONS }, now);
  const b = await createApiKey(app.deps.store.db, { tenant: 'tenant-b', name: 'key-b', permissions: ALL_PERMISSIONS }, now);
  return {
    app,
    clock,
    engine: ENGINE,
    dir: database.dir,
    dbPath,
    queries,
    keys: { a: a.key, b: b.key },
    async gql(query, variables, opts = {}) {
      const key = opts.key === undefined ? a.key : opts.key;
      const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
      if (key !== null) headers['x-api-key'] = key;
      const response = await app.gateway.fetch('http://gateway.test/graphql', {
        method: 'POST',
        headers,
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.status, body: (await response.json()) as GqlResult['body'], headers: response.headers };
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
