import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';

const bin = new URL('../../bin/chat-gateway.js', import.meta.url).pathname;

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chat-gateway-cli-'));
  env = { ...process.env, DATABASE_URL: join(dir, 'cli.db') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync('node', [bin, ...args], { env, encoding: 'utf8' });
const lastLine = (out: string) => out.trim().split('\n').at(-1)!;

/** Asks the server what a key may do: 200 with data, 401, or a FORBIDDEN error. */
async function probe(key: string) {
  const app = await createApp({ ...loadConfig({}), databaseUrl: env.DATABASE_URL! }, { purgeTimer: false });
  try {
    const call = async (query: string) => {
      const r = await app.gateway.fetch('http://cli.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ query }),
      });
      return { status: r.status, body: await r.json() };
    };
    const read = await call('{ flows { edges { node { id } } } }');
    const write = await call('mutation { createFlow(input: { name: "f", type: CHATFLOW }) { __typename } }');
    return { read: read.status, writeCode: write.body.errors?.[0]?.extensions?.code ?? write.body.data?.createFlow?.__typename };
  } finally {
    await app.close();
  }
}

// Each test starts the CLI a few times; on a busy 2-core machine a start takes seconds.
describe('chat-gateway keys', { timeout: 60_000 }, () => {
  it('create-key prints the key alone on the last line, once; it works with its scopes', async () => {
    const created = cli('create-key', '--tenant', 'acme', '--name', 'reader', '--scopes', 'read');
    expect(created.status).toBe(0);
    const key = lastLine(created.stdout);
    expect(key).toMatch(/^cgw_[\w-]{43}$/);
    expect(created.stdout.split(key).length - 1).toBe(1);
    expect(await probe(key)).toEqual({ read: 200, writeCode: 'FORBIDDEN' });
  });

  it('rotate-key replaces the key: the old one answers 401 at once, the new one works', async () => {
    const old = lastLine(cli('create-key', '--tenant', 'acme', '--name', 'ci').stdout);
    const rotated = cli('rotate-key', '--tenant', 'acme', '--name', 'ci');
    expect(rotated.status).toBe(0);
    const fresh = lastLine(rotated.stdout);
    expect(fresh).not.toBe(old);
    expect((await probe(old)).read).toBe(401);
    expect(await probe(fresh)).toEqual({ read: 200, writeCode: 'CreateFlowSuccess' });
  });

  it('revoke-key makes the key answer 401; revoking again is an error', async () => {
    const key = lastLine(cli('create-key', '--tenant', 'acme', '--name', 'temp').stdout);
    expect(cli('revoke-key', '--tenant', 'acme', '--name', 'temp').status).toBe(0);
    expect((await probe(key)).read).toBe(401);
    const again = cli('revoke-key', '--tenant', 'acme', '--name', 'temp');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('no active key named "temp"');
  });

  it('refuses unknown scopes with one clear line and exit 1', () => {
    const bad = cli('create-key', '--tenant', 'acme', '--scopes', 'read,owner');
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe('chat-gateway: scopes: must list some of read, write, delete, admin');
  });

  it('doctor reports a healthy database and exits 0', () => {
    execFileSync('node', [bin, 'migrate'], { env });
    const report = cli('doctor');
    expect(report.status).toBe(0);
    expect(report.stdout).toBe('integrity: ok\nforeign keys: ok\nerasures queued: 0\n');
  });
});
