/** Everything the process reads from its environment (DESIGN.md "Configuration"). */
export interface Config {
  port: number;
  host: string;
  /** SQLite file path, ":memory:", or a postgres:// URL. */
  databaseUrl: string;
  redisUrl: string | undefined;
  /** With Redis: how long a replica's connections count without its heartbeat. */
  liveConnectionTtlMs: number;
  restoreWindowMs: number;
  tokenIntervalMs: number;
  /** How often the server erases soft-deleted threads whose restore window has passed. */
  purgeIntervalMs: number;
  idempotencyTtlMs: number;
  llmBaseUrl: string | undefined;
  limits: Limits;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** What one request may ask for; every value has an environment variable (README "Security"). */
export interface Limits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  maxBodyBytes: number;
  introspection: boolean;
  /** Writes per API key per minute (GraphQL mutations and REST writes); 0 turns it off. */
  writesPerMinute: number;
}

/** A bad setting: start-up stops with this one line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const DAY_MS = 24 * 60 * 60 * 1000;

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, check: (n: number) => boolean, rule: string) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) throw new ConfigError(`${name}=${raw} is invalid: it must be ${rule}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || 'data/chat-gateway.db';
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel))
    throw new ConfigError(`LOG_LEVEL=${logLevel} is invalid: it must be one of debug, info, warn, error`);
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl))
    throw new ConfigError(`REDIS_URL=${redisUrl} is invalid: it must be a redis:// or rediss:// URL`);
  if (env.LLM_BASE_URL) throw new ConfigError('LLM_BASE_URL is not supported yet: leave it unset for the built-in generator');
  return {
    port: number(env, 'PORT', 4000, (n) => Number.isInteger(n) && n >= 0 && n <= 65535, 'a port number 0-65535'),
    host: env.HOST || '127.0.0.1',
    databaseUrl,
    redisUrl,
    liveConnectionTtlMs: number(env, 'LIVE_CONNECTION_TTL_MS', 15_000, (n) => n >= 300, 'a number of milliseconds ≥ 300'),
    restoreWindowMs: number(env, 'THREAD_RESTORE_DAYS', 30, (n) => n > 0, 'a positive number of days') * DAY_MS,
    tokenIntervalMs: number(env, 'STREAM_TOKEN_INTERVAL_MS', 50, (n) => n >= 0, 'a number of milliseconds ≥ 0'),
    idempotencyTtlMs: number(env, 'IDEMPOTENCY_TTL_HOURS', 24, (n) => n > 0, 'a positive number of hours') * 3_600_000,
    purgeIntervalMs: number(env, 'PURGE_INTERVAL_MS', 60_000, (n) => n >= 1000, 'a number of milliseconds ≥ 1000'),
    llmBaseUrl: undefined,
    limits: loadLimits(env),
    logLevel: logLevel as Config['logLevel'],
  };
}

const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

function flagOf(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name}=${raw} is invalid: it must be true or false`);
}

export function loadLimits(env: NodeJS.ProcessEnv): Limits {
  return {
    maxDepth: number(env, 'GRAPHQL_MAX_DEPTH', 12, positiveInt, 'a positive integer'),
    maxAliases: number(env, 'GRAPHQL_MAX_ALIASES', 30, positiveInt, 'a positive integer'),
    maxDirectives: number(env, 'GRAPHQL_MAX_DIRECTIVES', 50, positiveInt, 'a positive integer'),
    maxTokens: number(env, 'GRAPHQL_MAX_TOKENS', 5000, positiveInt, 'a positive integer'),
    // graphql-armor's cost grows with depth, not list sizes: chat > threads > messages is ~210k.
    maxCost: number(env, 'GRAPHQL_MAX_COST', 500_000, positiveInt, 'a positive integer'),
    maxBodyBytes: number(env, 'REQUEST_BODY_LIMIT_BYTES', 2 * 1024 * 1024, positiveInt, 'a positive number of bytes'),
    introspection: flagOf(env, 'GRAPHQL_INTROSPECTION', true),
    writesPerMinute: number(env, 'RATE_LIMIT_WRITES_PER_MINUTE', 600, (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
  };
}
