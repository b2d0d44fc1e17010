import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ALL_PERMISSIONS, createApiKey } from '../../src/domain/api-keys.ts';

// `chat-gateway retention [--dry-run]` against a real database file: data written 100 days
// ago (the app's clock set back), a 30-day default policy, then the command.

const bin = new URL('../../bin/chat-gateway.js', import.meta.url).pathname;
const DAY = 86_400_000;

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chat-gateway-retention-'));
  env = { ...process.env, DATABASE_URL: join(dir, 'cli.db'), LOG_LEVEL: 'error' };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync('node', [bin, ...args], { env, encoding: 'utf8' });

/** A chat of 3 messages written `daysAgo` days ago, and the tenant's default policy of 30 days. */
async function oldChat(daysAgo: number): Promise<{ chatId: string; tenantId: string; messages: () => Promise<number> }> {
  const at = Date.now() - daysAgo * DAY;
  const app = await createApp({ ...loadConfig({}), databaseUrl: env.DATABASE_URL! }, { purgeTimer: false, clock: { now: () => new Date(at) } });
  try {
    const { key, tenantId } = await createApiKey(app.deps.store.db, { tenant: 'acme', name: 'admin', permissions: [...ALL_PERMISSIONS] }, new Date(at).toISOString());
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const r = await app.gateway.fetch('http://cli.test/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ query, variables }),
      });
      return ((await r.json()) as { data: any }).data;
    };
    const flowId = (await gql(`mutation { createFlow(input: { name: "f", type: CHATFLOW }) { ... on CreateFlowSuccess { flow { id } } } }`)).createFlow.flow.id;
    const chatId = (await gql(`mutation($f: ID!) { createChat(input: { flowId: $f }) { ... on CreateChatSuccess { chat { id } } } }`, { f: flowId })).createChat.chat.id;
    const threadId = (await gql(`mutation($c: ID!) { createThread(input: { chatId: $c, title: "t" }) { ... on CreateThreadSuccess { thread { id } } } }`, { c: chatId }))
      .createThread.thread.id;
    for (const content of ['one', 'two', 'three']) {
      await gql(`mutation($t: ID!, $c: String!) { postMessage(input: { threadId: $t, role: USER, content: $c }) { __typename } }`, { t: threadId, c: content });
    }
    await gql(`mutation { setRetentionPolicy(input: { maxAgeDays: 30 }) { __typename } }`);
  } finally {
    await app.close();
  }
  const messages = async () => {
    const app = await createApp({ ...loadConfig({}), databaseUrl: env.DATABASE_URL! }, { purgeTimer: false });
    try {
      return (await app.deps.store.db.selectFrom('messages').select('id').execute()).length;
    } finally {
      await app.close();
    }
  };
  const app2 = await createApp({ ...loadConfig({}), databaseUrl: env.DATABASE_URL! }, { purgeTimer: false });
  const chat = await app2.deps.store.db.selectFrom('chats').select(['id', 'tenant_id']).executeTakeFirstOrThrow();
  await app2.close();
  return { chatId: chat.id, tenantId: chat.tenant_id, messages };
}

describe('chat-gateway retention', { timeout: 60_000 }, () => {
  it('--dry-run tells what a run would erase and erases nothing; then the run erases it', async () => {
    const { tenantId, messages } = await oldChat(100);
    const dry = cli('retention', '--dry-run');
    expect(dry.stderr).toBe('');
    expect(dry.status).toBe(0);
    expect(dry.stdout.trim()).toBe(`tenant ${tenantId}: would erase 1 chat(s) with 3 message(s); 0 kept by a legal hold`);
    expect(await messages()).toBe(3);

    const run = cli('retention');
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe(`tenant ${tenantId}: erased 1 chat(s) with 3 message(s); 0 kept by a legal hold`);
    expect(await messages()).toBe(0);
    expect(cli('retention').stdout.trim()).toBe(`tenant ${tenantId}: erased 0 chat(s) with 0 message(s); 0 kept by a legal hold`);
  });

  it('leaves a chat younger than its policy', async () => {
    const { tenantId, messages } = await oldChat(10);
    expect(cli('retention').stdout.trim()).toBe(`tenant ${tenantId}: erased 0 chat(s) with 0 message(s); 0 kept by a legal hold`);
    expect(await messages()).toBe(3);
  });

  it('retention-policy set|list|remove manages the policies as the mutations do, audited as system:cli; bad input is one line and exit 1', async () => {
    const { tenantId } = await oldChat(10);
    const listed = () => cli('retention-policy', 'list', '--tenant', 'acme').stdout.trim().split('\n');
    // oldChat set the default to 30 days through GraphQL; the command changes it in place.
    const [before] = listed();
    const id = before!.split(' ')[0]!;
    expect(before).toContain("the tenant's default: chats idle for more than 30 day(s) are erased");
    const set = cli('retention-policy', 'set', '--tenant', 'acme', '--max-age-days', '5');
    expect(set.status).toBe(0);
    expect(set.stdout.trim()).toBe(`Set retention policy ${id}: the tenant's default: chats idle for more than 5 day(s) are erased.`);
    // 10 days old, 5 allowed: the run erases it now.
    expect(cli('retention').stdout.trim()).toBe(`tenant ${tenantId}: erased 1 chat(s) with 3 message(s); 0 kept by a legal hold`);

    for (const bad of [
      ['set', '--tenant', 'acme', '--max-age-days', '0'],
      ['set', '--tenant', 'acme', '--max-age-days', 'ten'],
      ['set', '--tenant', 'nobody', '--max-age-days', '3'],
    ]) {
      const r = cli('retention-policy', ...bad);
      expect(r.status, bad.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), bad.join(' ')).toHaveLength(1);
    }
    const removed = cli('retention-policy', 'remove', '--tenant', 'acme', '--id', id);
    expect(removed.status).toBe(0);
    expect(listed()).toEqual(['No retention policies.']);

    const app = await createApp({ ...loadConfig({}), databaseUrl: env.DATABASE_URL! }, { purgeTimer: false });
    const audits = await app.deps.store.db.selectFrom('audit_log').select(['action', 'actor']).where('action', 'like', 'retention_policy.%').orderBy('seq').execute();
    await app.close();
    expect(audits.slice(1)).toEqual([
      { action: 'retention_policy.set', actor: 'system:cli' },
      { action: 'retention_policy.remove', actor: 'system:cli' },
    ]);
  }, 120_000);
});
