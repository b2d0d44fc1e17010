import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chat-gateway-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(content: unknown): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The one line a bad setting stops start-up with. */
function failure(env: NodeJS.ProcessEnv, path?: string): string {
  try {
    loadConfig(env, path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('the configuration was accepted');
}

describe('settings from the environment', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 4000,
      host: '127.0.0.1',
      databaseUrl: 'data/chat-gateway.db',
      redisUrl: undefined,
      restoreWindowMs: 30 * 86_400_000,
      tokenIntervalMs: 50,
      purgeIntervalMs: 60_000,
      auditSealIntervalMs: 1000,
      idempotencyTtlMs: 24 * 3_600_000,
      idempotencyLeaseMs: 300_000,
      logLevel: 'info',
    });
    expect(c.limits).toEqual({
      maxDepth: 12,
      maxAliases: 30,
      maxDirectives: 50,
      maxTokens: 5000,
      maxCost: 500_000,
      maxBodyBytes: 2 * 1024 * 1024,
      introspection: true,
      writesPerMinute: 600,
    });
  });

  it('reads every kind of value, and an empty value means the default', () => {
    const c = loadConfig({ PORT: '4100', THREAD_RESTORE_DAYS: '0.5', GRAPHQL_INTROSPECTION: 'false', LOG_LEVEL: 'debug', REDIS_URL: 'redis://r:6379', HOST: '' });
    expect(c).toMatchObject({ port: 4100, restoreWindowMs: 43_200_000, logLevel: 'debug', redisUrl: 'redis://r:6379', host: '127.0.0.1' });
    expect(c.limits.introspection).toBe(false);
    expect(loadConfig({ GRAPHQL_INTROSPECTION: '1' }).limits.introspection).toBe(true);
  });

  it('refuses a bad value with one line naming the variable, its value and the rule', () => {
    expect(failure({ PORT: 'abc' })).toBe('PORT=abc is invalid: it must be a port number 0-65535');
    expect(failure({ PORT: '70000' })).toBe('PORT=70000 is invalid: it must be a port number 0-65535');
    expect(failure({ LOG_LEVEL: 'loud' })).toBe('LOG_LEVEL=loud is invalid: it must be one of debug, info, warn, error');
    expect(failure({ GRAPHQL_INTROSPECTION: 'maybe' })).toBe('GRAPHQL_INTROSPECTION=maybe is invalid: it must be true or false');
    expect(failure({ REDIS_URL: 'http://r' })).toBe('REDIS_URL=http://r is invalid: it must be a redis:// or rediss:// URL');
    expect(failure({ RATE_LIMIT_WRITES_PER_MINUTE: '-1' })).toContain('RATE_LIMIT_WRITES_PER_MINUTE=-1 is invalid');
    expect(failure({ PURGE_INTERVAL_MS: '10' })).toContain('PURGE_INTERVAL_MS=10 is invalid');
    expect(failure({ AUDIT_SEAL_INTERVAL_MS: '50' })).toBe('AUDIT_SEAL_INTERVAL_MS=50 is invalid: it must be a number of milliseconds ≥ 100');
    expect(failure({ LLM_BASE_URL: 'llm.local/v1', LLM_MODEL: 'm' })).toBe('LLM_BASE_URL=llm.local/v1 is invalid: it must be an http:// or https:// URL');
    expect(failure({ LLM_BASE_URL: 'ftp://llm/v1', LLM_MODEL: 'm' })).toBe('LLM_BASE_URL=ftp://llm/v1 is invalid: it must be an http:// or https:// URL');
    expect(failure({ LLM_BASE_URL: 'http://llm/v1', LLM_MODEL: 'm', LLM_TIMEOUT_MS: '5' })).toBe('LLM_TIMEOUT_MS=5 is invalid: it must be a number of milliseconds ≥ 100');
  });

  it('takes an OpenAI-compatible upstream only whole: a base URL needs a model, a model or key needs a base URL', () => {
    expect(loadConfig({}).llm).toBeUndefined();
    expect(loadConfig({ LLM_BASE_URL: 'https://llm.example/v1/', LLM_MODEL: 'gpt-4o-mini' }).llm).toEqual({
      baseUrl: 'https://llm.example/v1',
      apiKey: undefined,
      model: 'gpt-4o-mini',
      timeoutMs: 30_000,
    });
    expect(loadConfig({ LLM_BASE_URL: 'http://127.0.0.1:8000/v1', LLM_MODEL: 'm', LLM_API_KEY: 'sk-1', LLM_TIMEOUT_MS: '2500' }).llm).toEqual({
      baseUrl: 'http://127.0.0.1:8000/v1',
      apiKey: 'sk-1',
      model: 'm',
      timeoutMs: 2500,
    });
    expect(failure({ LLM_BASE_URL: 'http://llm/v1' })).toBe('LLM_BASE_URL=http://llm/v1 needs LLM_MODEL, the model to ask for (e.g. gpt-4o-mini)');
    expect(failure({ LLM_MODEL: 'gpt-4o-mini' })).toBe(
      'LLM_MODEL is set but LLM_BASE_URL is not; set LLM_BASE_URL to the OpenAI-compatible upstream, or unset LLM_MODEL',
    );
    expect(failure({ LLM_API_KEY: 'sk-1' })).toContain('LLM_API_KEY is set but LLM_BASE_URL is not');
  });
});

describe('settings from a config file', () => {
  it('reads a JSON object of the same names, JSON numbers and booleans included', () => {
    const c = loadConfig({}, file({ PORT: 4200, GRAPHQL_INTROSPECTION: false, DATABASE_URL: ':memory:', GRAPHQL_MAX_DEPTH: '8' }));
    expect(c).toMatchObject({ port: 4200, databaseUrl: ':memory:' });
    expect(c.limits).toMatchObject({ introspection: false, maxDepth: 8 });
  });

  it('is named by CONFIG_FILE too, and the environment wins over it', () => {
    const path = file({ PORT: 4200, LOG_LEVEL: 'warn' });
    expect(loadConfig({ CONFIG_FILE: path })).toMatchObject({ port: 4200, logLevel: 'warn' });
    expect(loadConfig({ CONFIG_FILE: path, PORT: '4300' })).toMatchObject({ port: 4300, logLevel: 'warn' });
    // An empty variable is unset: it leaves the file's value in place rather than the default.
    expect(loadConfig({ PORT: '' }, path)).toMatchObject({ port: 4200 });
    // --config (the second argument) names the file when CONFIG_FILE names another.
    expect(loadConfig({ CONFIG_FILE: file({ PORT: 1 }) }, path)).toMatchObject({ port: 4200 });
  });

  it('refuses an unknown setting, a bad value, bad JSON and a missing file, each in one line', () => {
    expect(failure({}, file({ PROT: 4200 }))).toMatch(/^config file .* has unknown setting PROT; the settings are PORT, /);
    expect(failure({}, file({ PORT: 'x' }))).toBe('PORT=x is invalid: it must be a port number 0-65535');
    expect(failure({}, file({ HOST: 5 }))).toBe('HOST=5 is invalid: it must be a string');
    expect(failure({}, file('{ "PORT": '))).toMatch(/^config file .* is not valid JSON: /);
    expect(failure({}, file('[1, 2]'))).toMatch(/^config file .* must hold one JSON object of settings/);
    expect(failure({}, join(dir, 'missing.json'))).toMatch(/^config file .*missing\.json cannot be read: ENOENT$/);
  });
});
