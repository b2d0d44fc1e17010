import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Everything the process reads from its environment or config file (README "Configuration"). */
export interface Config {
  port: number;
  host: string;
  /** SQLite file path, ":memory:", or a postgres:// URL. */
  databaseUrl: string;
  redisUrl: string | undefined;
  /** PostgreSQL: how long an API key found active may be reused without a lookup; 0: never. */
  apiKeyCacheMs: number;
  /** With Redis: how long a replica's connections count without its heartbeat. */
  liveConnectionTtlMs: number;
  restoreWindowMs: number;
  tokenIntervalMs: number;
  /** How often the server erases soft-deleted threads whose restore window has passed. */
  purgeIntervalMs: number;
  /** How often the server seals new audit entries into their tenant's hash chain. */
  auditSealIntervalMs: number;
  /** How often the server runs the retention policies; 0: never (runRetention and the CLI still do). */
  retentionIntervalMs: number;
  idempotencyTtlMs: number;
  /** How long a claimed key may go unanswered before a retry takes it over (its request died). */
  idempotencyLeaseMs: number;
  /** An OpenAI-compatible upstream for streams; unset: the built-in echo generator. */
  llm: Upstream | undefined;
  /** Hosts (`name` or `name:port`) erasure targets may point at; empty: none. */
  erasureTargetHosts: string[];
  /** The longest pause between two attempts of a delivery to an erasure target. */
  erasureRetryMaxMs: number;
  /** How long a delivery is retried before its copy is FAILED. */
  erasureRetryMs: number;
  limits: Limits;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

/** An OpenAI-compatible chat completions upstream (README "Streams"). */
export interface Upstream {
  /** Up to the API's root, e.g. https://api.openai.com/v1: the client adds /chat/completions. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer`; unset, no Authorization header is sent (local servers). */
  apiKey: string | undefined;
  model: string;
  /** How long the upstream may stay silent: before its answer starts, and between two chunks. */
  timeoutMs: number;
}

/** What one request may ask for; every value has a setting (README "Security"). */
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

// Environment values are strings; a config file's may be JSON numbers and booleans too.
// An empty string is the same as unset, so `PORT= npm start` means the default.
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

function numberSetting(fallback: number, rule: string, ok: (n: number) => boolean) {
  return z.preprocess(
    (v) => (typeof v === 'string' && v !== '' ? Number(v) : unsetIfEmpty(v)),
    z.number({ invalid_type_error: rule }).refine((n) => Number.isFinite(n) && ok(n), rule).default(fallback),
  );
}

function flagSetting(fallback: boolean) {
  const words: Record<string, boolean> = { true: true, '1': true, false: false, '0': false };
  return z.preprocess(
    (v) => (typeof v === 'string' && v in words ? words[v] : unsetIfEmpty(v)),
    z.boolean({ invalid_type_error: 'true or false' }).default(fallback),
  );
}

function textSetting(rule = 'a string') {
  return z.preprocess(unsetIfEmpty, z.string({ invalid_type_error: rule }).optional());
}

const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
const POSITIVE_INT = 'a positive integer';

/** Every setting by its environment variable name, with its default and its rule. */
const settings = z
  .object({
    PORT: numberSetting(4000, 'a port number 0-65535', (n) => Number.isInteger(n) && n >= 0 && n <= 65535),
    HOST: textSetting(),
    DATABASE_URL: textSetting(),
    API_KEY_CACHE_MS: numberSetting(10_000, 'a number of milliseconds ≥ 0', (n) => n >= 0),
    REDIS_URL: z.preprocess(unsetIfEmpty, z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional()),
    LIVE_CONNECTION_TTL_MS: numberSetting(15_000, 'a number of milliseconds ≥ 300', (n) => n >= 300),
    THREAD_RESTORE_DAYS: numberSetting(30, 'a positive number of days', (n) => n > 0),
    STREAM_TOKEN_INTERVAL_MS: numberSetting(50, 'a number of milliseconds ≥ 0', (n) => n >= 0),
    IDEMPOTENCY_TTL_HOURS: numberSetting(24, 'a positive number of hours', (n) => n > 0),
    IDEMPOTENCY_LEASE_SECONDS: numberSetting(300, 'a positive number of seconds', (n) => n > 0),
    PURGE_INTERVAL_MS: numberSetting(60_000, 'a number of milliseconds ≥ 1000', (n) => n >= 1000),
    ERASURE_TARGET_HOSTS: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== ''))
        .refine((hosts) => hosts.every((h) => /^([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/.test(h)), 'a comma-separated list of host names or host:port')
        .default(''),
    ),
    ERASURE_RETRY_MAX_MS: numberSetting(60_000, 'a number of milliseconds ≥ 1000', (n) => n >= 1000),
    ERASURE_RETRY_HOURS: numberSetting(72, 'a positive number of hours', (n) => n > 0),
    AUDIT_SEAL_INTERVAL_MS: numberSetting(1000, 'a number of milliseconds ≥ 100', (n) => n >= 100),
    RETENTION_INTERVAL_MS: numberSetting(3_600_000, 'a number of milliseconds ≥ 1000, or 0 for never', (n) => n === 0 || n >= 1000),
    LLM_BASE_URL: z.preprocess(
      unsetIfEmpty,
      z.string().url('an http:// or https:// URL').regex(/^https?:\/\//i, 'an http:// or https:// URL').optional(),
    ),
    LLM_API_KEY: textSetting(),
    LLM_MODEL: textSetting(),
    LLM_TIMEOUT_MS: numberSetting(30_000, 'a number of milliseconds ≥ 100', (n) => n >= 100),
    LOG_LEVEL: z.preprocess(
      unsetIfEmpty,
      z.enum(['debug', 'info', 'warn', 'error'], { errorMap: () => ({ message: 'one of debug, info, warn, error' }) }).default('info'),
    ),
    GRAPHQL_MAX_DEPTH: numberSetting(12, POSITIVE_INT, positiveInt),
    GRAPHQL_MAX_ALIASES: numberSetting(30, POSITIVE_INT, positiveInt),
    GRAPHQL_MAX_DIRECTIVES: numberSetting(50, POSITIVE_INT, positiveInt),
    GRAPHQL_MAX_TOKENS: numberSetting(5000, POSITIVE_INT, positiveInt),
    // graphql-armor's cost grows with depth, not list sizes: chat > threads > messages is ~210k.
    GRAPHQL_MAX_COST: numberSetting(500_000, POSITIVE_INT, positiveInt),
    REQUEST_BODY_LIMIT_BYTES: numberSetting(2 * 1024 * 1024, 'a positive number of bytes', positiveInt),
    GRAPHQL_INTROSPECTION: flagSetting(true),
    RATE_LIMIT_WRITES_PER_MINUTE: numberSetting(600, 'an integer ≥ 0', (n) => Number.isInteger(n) && n >= 0),
  })
  .strict();

/** The names of every setting, for help texts and the config file's checks. */
export const SETTING_NAMES = Object.keys(settings.shape) as ReadonlyArray<keyof typeof settings.shape>;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Reads the settings from the environment and, when given, a JSON config file whose keys
 * are the same names (`{"PORT": 4100}`); the environment wins over the file.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file: string | undefined = env.CONFIG_FILE || undefined): Config {
  const fromFile = file === undefined ? {} : readConfigFile(file);
  const fromEnv = Object.fromEntries(SETTING_NAMES.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => [name, env[name]]));
  const given: Record<string, unknown> = { ...fromFile, ...fromEnv };
  const parsed = settings.safeParse(given);
  if (!parsed.success) throw new ConfigError(describe(parsed.error.issues[0]!, given, file));
  const s = parsed.data;
  return {
    port: s.PORT,
    host: s.HOST ?? '127.0.0.1',
    databaseUrl: s.DATABASE_URL ?? 'data/chat-gateway.db',
    redisUrl: s.REDIS_URL,
    apiKeyCacheMs: s.API_KEY_CACHE_MS,
    liveConnectionTtlMs: s.LIVE_CONNECTION_TTL_MS,
    restoreWindowMs: s.THREAD_RESTORE_DAYS * DAY_MS,
    tokenIntervalMs: s.STREAM_TOKEN_INTERVAL_MS,
    idempotencyTtlMs: s.IDEMPOTENCY_TTL_HOURS * 3_600_000,
    idempotencyLeaseMs: s.IDEMPOTENCY_LEASE_SECONDS * 1000,
    purgeIntervalMs: s.PURGE_INTERVAL_MS,
    auditSealIntervalMs: s.AUDIT_SEAL_INTERVAL_MS,
    retentionIntervalMs: s.RETENTION_INTERVAL_MS,
    llm: upstreamOf(s),
    erasureTargetHosts: s.ERASURE_TARGET_HOSTS,
    erasureRetryMaxMs: s.ERASURE_RETRY_MAX_MS,
    erasureRetryMs: s.ERASURE_RETRY_HOURS * 3_600_000,
    logLevel: s.LOG_LEVEL,
    limits: {
      maxDepth: s.GRAPHQL_MAX_DEPTH,
      maxAliases: s.GRAPHQL_MAX_ALIASES,
      maxDirectives: s.GRAPHQL_MAX_DIRECTIVES,
      maxTokens: s.GRAPHQL_MAX_TOKENS,
      maxCost: s.GRAPHQL_MAX_COST,
      maxBodyBytes: s.REQUEST_BODY_LIMIT_BYTES,
      introspection: s.GRAPHQL_INTROSPECTION,
      writesPerMinute: s.RATE_LIMIT_WRITES_PER_MINUTE,
    },
  };
}

type Parsed = z.infer<typeof settings>;

function upstreamOf(s: Parsed): Upstream | undefined {
  if (s.LLM_BASE_URL === undefined) {
    const orphan = (['LLM_MODEL', 'LLM_API_KEY'] as const).find((name) => s[name] !== undefined);
    if (orphan) throw new ConfigError(`${orphan} is set but LLM_BASE_URL is not; set LLM_BASE_URL to the OpenAI-compatible upstream, or unset ${orphan}`);
    return undefined;
  }
  if (s.LLM_MODEL === undefined) throw new ConfigError(`LLM_BASE_URL=${s.LLM_BASE_URL} needs LLM_MODEL, the model to ask for (e.g. gpt-4o-mini)`);
  return { baseUrl: s.LLM_BASE_URL.replace(/\/+$/, ''), apiKey: s.LLM_API_KEY, model: s.LLM_MODEL, timeoutMs: s.LLM_TIMEOUT_MS };
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`config file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError(`config file ${file} must hold one JSON object of settings, e.g. {"PORT": 4000}`);
  return value as Record<string, unknown>;
}

/** One line naming the setting, its value and the rule it breaks. */
function describe(issue: z.ZodIssue, given: Record<string, unknown>, file: string | undefined): string {
  if (issue.code === 'unrecognized_keys')
    return `config file ${file} has unknown setting ${issue.keys[0]}; the settings are ${SETTING_NAMES.join(', ')}`;
  const name = String(issue.path[0]);
  const raw = given[name];
  return `${name}=${typeof raw === 'string' ? raw : JSON.stringify(raw)} is invalid: it must be ${issue.message}`;
}
