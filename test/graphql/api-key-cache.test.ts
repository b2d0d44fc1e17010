import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../helpers/database.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';

// On PostgreSQL a server keeps the API keys it found active; any change to api_keys, made
// by any process, notifies every server to forget them (README "Running several replicas").

const title = TEST_DATABASE_URL
  ? 'API keys kept on PostgreSQL, forgotten on every change'
  : 'SKIPPED: API keys kept on PostgreSQL (set TEST_DATABASE_URL to a PostgreSQL database)';

const FLOWS = `{ flows(first: 1) { edges { node { id } } } }`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!TEST_DATABASE_URL)(title, () => {
  let t: TestApp;
  /** Another process's connection to the same schema: the CLI, or an operator with psql. */
  let other: pg.Client;
  beforeEach(async (context) => {
    t = await startTestApp({ apiKeyCacheMs: context.task.name.includes('API_KEY_CACHE_MS') ? 500 : undefined });
    other = new pg.Client({ connectionString: t.dbPath });
    await other.connect();
  });
  afterEach(async () => {
    await other.end();
    await t.close();
  });

  const lookups = () => t.queries.filter((q) => q.includes('from "api_keys"')).length;

  /** Sends requests until one is answered without a key lookup: the listener is up. */
  async function untilKept(key = t.keys.a) {
    for (let i = 0; i < 100; i++) {
      t.queries.length = 0;
      expect((await t.gql(FLOWS, {}, { key })).status).toBe(200);
      if (lookups() === 0) return;
      await sleep(20);
    }
    throw new Error('the key was looked up on every request for 2 s');
  }

  async function revokeByHand(name: string) {
    const { rowCount } = await other.query(`update api_keys set revoked_at = $1 where name = $2 and revoked_at is null`, [
      new Date().toISOString(),
      name,
    ]);
    expect(rowCount).toBe(1);
  }

  /** 401 within 200 ms: the notification's trip, far below the 10 s a kept key may live. */
  async function expect401Soon(key: string) {
    const deadline = performance.now() + 200;
    let status = 0;
    while (performance.now() < deadline) {
      status = (await t.gql(FLOWS, {}, { key })).status;
      if (status === 401) return;
      await sleep(5);
    }
    expect(status).toBe(401);
  }

  it('answers a known key without looking it up again, and an unknown one always from the database', async () => {
    await untilKept();
    for (let i = 0; i < 5; i++) expect((await t.gql(FLOWS)).status).toBe(200);
    expect(lookups()).toBe(0);
    for (let i = 0; i < 3; i++) expect((await t.gql(FLOWS, {}, { key: 'cgw_not-a-key' })).status).toBe(401);
    expect(lookups()).toBe(3);
  });

  it('a key revoked by another process answers 401 at once, and the other keys keep working', async () => {
    await untilKept(t.keys.a);
    await untilKept(t.keys.b);
    await revokeByHand('key-a');
    await expect401Soon(t.keys.a);
    expect((await t.gql(FLOWS, {}, { key: t.keys.b })).status).toBe(200);
  });

  it('keeps nothing while its listening connection is down, and listens again after', async () => {
    await untilKept();
    const { rows } = await other.query(
      `select pg_terminate_backend(pid) as done from pg_stat_activity where query = 'LISTEN chat_gateway_api_keys_changed' and datname = current_database()`,
    );
    expect(rows.length).toBeGreaterThan(0);
    // The revocation's notification is lost with the connection; only forgetting everything
    // when the connection dropped keeps the key from working.
    await sleep(100);
    await revokeByHand('key-a');
    expect((await t.gql(FLOWS)).status).toBe(401);
    // The listener is back within a second or two, and keys are kept again.
    await untilKept(t.keys.b);
  });

  it('keeps a key no longer than API_KEY_CACHE_MS when no notification arrives (a pooler in transaction mode)', async () => {
    await untilKept();
    await other.query('alter table api_keys disable trigger api_keys_changed');
    await revokeByHand('key-a');
    // Unheard, the revocation leaves the kept key working, but only until it is 500 ms old.
    expect((await t.gql(FLOWS)).status).toBe(200);
    await sleep(600);
    expect((await t.gql(FLOWS)).status).toBe(401);
  });
});
