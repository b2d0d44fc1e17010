import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { exportableChat, parseLines } from '../export/export-helpers.ts';

// chat-gateway export CHAT_ID --tenant NAME: the chat's NDJSON export on stdout, read from
// the database the server uses (a SQLite file, or the PostgreSQL schema of the test).

const bin = new URL('../../bin/chat-gateway.js', import.meta.url).pathname;

let t: TestApp;
afterEach(async () => {
  await t?.close();
});

const cli = (args: string[]) =>
  spawnSync('node', [bin, ...args], { env: { ...process.env, DATABASE_URL: t.dbPath, CONFIG_FILE: '' }, encoding: 'utf8', timeout: 50_000 });

// Each test starts the CLI a few times; on a busy 2-core machine a start takes seconds.
describe('chat-gateway export', { timeout: 60_000 }, () => {
  it("writes the chat's records to stdout, one NDJSON line each, exactly as the REST route streams them", async () => {
    t = await startTestApp();
    const { chatId, records } = await exportableChat(t);
    const r = cli(['export', chatId, '--tenant', 'tenant-a']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(parseLines(r.stdout)).toEqual(records);
  });

  it("finds no chat of another tenant (exit 1), no tenant of a wrong name (exit 2), and needs both arguments", async () => {
    t = await startTestApp();
    const { chatId } = await exportableChat(t);
    const other = cli(['export', chatId, '--tenant', 'tenant-b']);
    expect({ status: other.status, stdout: other.stdout, stderr: other.stderr.trim() }).toEqual({ status: 1, stdout: '', stderr: `chat-gateway: Chat ${chatId} not found` });
    const nobody = cli(['export', chatId, '--tenant', 'nobody']);
    expect({ status: nobody.status, stderr: nobody.stderr.trim() }).toEqual({ status: 2, stderr: 'chat-gateway: there is no tenant named "nobody"' });
    expect(cli(['export', '--tenant', 'tenant-a']).stderr.trim()).toBe('chat-gateway: export needs a CHAT_ID: chat-gateway export CHAT_ID --tenant NAME');
    expect(cli(['export', chatId]).stderr.trim()).toBe('chat-gateway: export needs --tenant NAME, the tenant the chat belongs to');
  });
});
