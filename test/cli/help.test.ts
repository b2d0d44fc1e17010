import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SETTING_NAMES } from '../../src/config/config.ts';

const bin = new URL('../../bin/chat-gateway.js', import.meta.url).pathname;

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chat-gateway-help-'));
  env = { ...process.env, DATABASE_URL: join(dir, 'cli.db'), CONFIG_FILE: '' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
  spawnSync('node', [bin, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 30_000 });

// Each test starts the CLI a few times; on a busy 2-core machine a start takes seconds.
const CLI_TIMEOUT_MS = 60_000;

it('--help and help list every command and every setting', () => {
  for (const args of [['--help'], ['help'], []]) {
    const r = cli(args);
    expect(r.status, args.join(' ')).toBe(0);
    for (const command of ['serve', 'migrate', 'seed', 'create-key', 'rotate-key', 'revoke-key', 'purge', 'retention', 'retention-policy', 'hold', 'export', 'doctor', 'verify-audit'])
      expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    for (const setting of [...SETTING_NAMES, 'CONFIG_FILE']) expect(r.stdout).toContain(setting);
    expect(r.stdout).toContain('--config FILE');
  }
}, CLI_TIMEOUT_MS);

it('serve --help prints serve\'s own usage and exits without serving', () => {
  const r = cli(['serve', '--help'], { PORT: '1' });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^Usage: chat-gateway serve \[--demo\] \[--config FILE\]/);
  expect(r.stdout).toContain('--demo');
  expect(r.stdout).toContain('PORT (4000)');
  expect(r.stdout).not.toContain('serving GraphiQL');
}, CLI_TIMEOUT_MS);

it('help COMMAND equals COMMAND --help, for each command', () => {
  for (const command of ['purge', 'create-key', 'doctor']) {
    const a = cli(['help', command]);
    const b = cli([command, '--help']);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(new RegExp(`^Usage: chat-gateway ${command}`));
  }
  expect(cli(['help', 'create-key']).stdout).toContain('--scopes LIST');
}, CLI_TIMEOUT_MS);

it('verify-audit --help tells its option and its exit codes', () => {
  const r = cli(['verify-audit', '--help']);
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^Usage: chat-gateway verify-audit \[--tenant NAME\] \[--config FILE\]/);
  expect(r.stdout).toContain('--tenant NAME');
  expect(r.stdout).toContain('Exits 0 when every chain is intact, 1 when one is broken, 2 when there is no such tenant.');
}, CLI_TIMEOUT_MS);

it('an unknown command, in help or alone, fails with one line', () => {
  for (const args of [['help', 'nope'], ['nope']]) {
    const r = cli(args);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('chat-gateway: unknown command "nope"; see chat-gateway help');
  }
}, CLI_TIMEOUT_MS);

it('a bad setting stops the command with exactly one line on stderr, naming it', () => {
  for (const command of ['serve', 'migrate']) {
    const r = cli([command], { PORT: 'abc' });
    expect(r.status, command).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(['chat-gateway: PORT=abc is invalid: it must be a port number 0-65535']);
  }
}, CLI_TIMEOUT_MS);

it('--config reads the settings from a file, and the environment wins over it', () => {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ DATABASE_URL: join(dir, 'from-file.db') }));
  const noDbEnv = { DATABASE_URL: '' };
  const fromFile = cli(['migrate', '--config', file], noDbEnv);
  expect(fromFile.status).toBe(0);
  expect(fromFile.stdout).toContain(`database ${join(dir, 'from-file.db')} is at the latest schema`);
  const viaEnv = cli(['migrate'], { ...noDbEnv, CONFIG_FILE: file });
  expect(viaEnv.stdout).toContain('from-file.db');
  const envWins = cli(['migrate', '--config', file]);
  expect(envWins.stdout).toContain(`database ${join(dir, 'cli.db')} is at the latest schema`);
  writeFileSync(file, JSON.stringify({ DATABSE_URL: 'x' }));
  const typo = cli(['migrate', '--config', file]);
  expect(typo.status).toBe(1);
  expect(typo.stderr.trim()).toMatch(/^chat-gateway: config file .* has unknown setting DATABSE_URL;/);
}, CLI_TIMEOUT_MS);
