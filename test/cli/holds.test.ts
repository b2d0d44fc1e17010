import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createApiKey } from '../../src/domain/api-keys.ts';

// `chat-gateway hold place|release|list`: the legal-hold operations for an operator at the
// server, against a real database file, with the actor system:cli.

const bin = new URL('../../bin/chat-gateway.js', import.meta.url).pathname;

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chat-gateway-holds-'));
  env = { ...process.env, DATABASE_URL: join(dir, 'cli.db'), CONFIG_FILE: '' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync('node', [bin, ...args], { env, encoding: 'utf8', timeout: 30_000 });

/** A tenant with a chat, made through the product; the chat's id and an admin key. */
async function tenantWithChat(): Promise<{ chatId: string; key: string }> {
  const app = await createApp({ ...loadConfig({}), databaseUrl: env.DATABASE_URL! }, { purgeTimer: false });
  try {
    const { key } = await createApiKey(app.deps.store.db, { tenant: 'acme', name: 'ops', permissions: ['read', 'write', 'delete', 'admin'] }, new Date().toISOString());
    const call = async (query: string, variables: Record<string, unknown>) =>
      (await (await app.gateway.fetch('http://cli.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query, variables }) })).json()) as any;
    const flow = await call(`mutation { createFlow(input: { name: "f", type: CHATFLOW }) { ... on CreateFlowSuccess { flow { id } } } }`, {});
    const chat = await call(`mutation($f: ID!) { createChat(input: { flowId: $f }) { ... on CreateChatSuccess { chat { id } } } }`, { f: flow.data.createFlow.flow.id });
    return { chatId: chat.data.createChat.chat.id, key };
  } finally {
    await app.close();
  }
}

it('places, lists and releases a hold, placed by system:cli', { timeout: 90_000 }, async () => {
  const { chatId } = await tenantWithChat();
  const placed = cli('hold', 'place', '--tenant', 'acme', '--scope', 'chat', '--target', chatId, '--reason', 'Case 2026-117');
  expect(placed.stderr).toBe('');
  expect(placed.status).toBe(0);
  const id = /Placed legal hold (\S+) on CHAT /.exec(placed.stdout)?.[1];
  expect(id).toBeDefined();

  const active = cli('hold', 'list', '--tenant', 'acme', '--active', 'true');
  expect(active.stdout).toContain(`${id}  CHAT    ${chatId}  active`);
  expect(active.stdout).toContain('by system:cli: Case 2026-117');

  expect(cli('hold', 'release', '--tenant', 'acme', '--id', id!).stdout).toMatch(new RegExp(`^Released legal hold ${id} \\(at `));
  expect(cli('hold', 'list', '--tenant', 'acme', '--active', 'true').stdout.trim()).toBe('No legal holds.');
  expect(cli('hold', 'list', '--tenant', 'acme').stdout).toContain(`${id}  CHAT    ${chatId}  released `);
});

it('refuses bad input with one line and exit 1, and places nothing', { timeout: 90_000 }, async () => {
  await tenantWithChat();
  for (const [args, line] of [
    [['hold', 'place', '--tenant', 'acme', '--scope', 'FLOW', '--target', 'nope', '--reason', 'r'], 'chat-gateway: input.targetId: must be a UUID'],
    [['hold', 'place', '--tenant', 'acme', '--scope', 'ROOM', '--target', 'x', '--reason', 'r'], 'chat-gateway: scope: must be one of FLOW, CHAT, SESSION'],
    [['hold', 'place', '--tenant', 'nobody', '--scope', 'SESSION', '--target', 's', '--reason', 'r'], 'chat-gateway: tenant: there is no tenant named "nobody"'],
    [['hold', 'release', '--tenant', 'acme', '--id', '00000000-0000-4000-8000-000000000001'], 'chat-gateway: Legal hold 00000000-0000-4000-8000-000000000001 not found'],
  ] as const) {
    const r = cli(...args);
    expect(r.status, args.join(' ')).toBe(1);
    expect(r.stderr.trim()).toBe(line);
  }
  expect(cli('hold', 'list', '--tenant', 'acme').stdout.trim()).toBe('No legal holds.');
});
