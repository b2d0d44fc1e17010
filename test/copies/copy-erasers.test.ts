import { type Server, createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createCopyErasers } from '../../src/copies/copy-erasers.ts';
import type { CopyErasers, CopyTarget, ErasureEvent } from '../../src/domain/copy-erasure.ts';

// Dispatch by target kind, and the options reaching the webhook eraser; the erasers
// themselves have their own tests.

const EVENT: ErasureEvent = {
  id: 'e1',
  receiptId: 'r1',
  flowId: 'f1',
  chatIds: ['c1'],
  threadIds: [],
  sessionIds: ['s1'],
  messageIds: [],
  rows: [{ chatId: 'c1', threadId: null, sessionId: 's1' }],
  erasedAt: '2026-12-01T12:00:00.000Z',
};

const NOW = new Date('2026-12-01T12:00:07.500Z');
const webhook = (url: string): CopyTarget => ({ kind: 'WEBHOOK', url, keyPattern: null, secret: 's' });
const redis = (url: string): CopyTarget => ({ kind: 'REDIS', url, keyPattern: 'm:{sessionId}', secret: null });

let server: Server | undefined;
let erasers: CopyErasers | undefined;

afterEach(async () => {
  await erasers?.close();
  erasers = undefined;
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<number> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function closedPort(): Promise<number> {
  const port = await listen(() => {});
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  server = undefined;
  return port;
}

describe('createCopyErasers', () => {
  it('sends each target to the eraser of its kind', async () => {
    erasers = createCopyErasers({ now: () => NOW });
    const port = await closedPort();
    await expect(erasers.erase(webhook(`http://127.0.0.1:${port}/`), EVENT)).rejects.toThrow(
      'Webhook target: connection refused',
    );
    await expect(erasers.erase(redis(`redis://127.0.0.1:${port}`), EVENT)).rejects.toThrow(
      /^Redis target unreachable: connect ECONNREFUSED/,
    );
  });

  it('signs webhooks with the given clock and waits for them as long as told', async () => {
    erasers = createCopyErasers({ now: () => NOW, webhookTimeoutMs: 200 });
    const signatures: string[] = [];
    const port = await listen((request, response) => {
      signatures.push(String(request.headers['chat-gateway-signature']));
      if (request.url === '/ok') response.end();
    });
    await erasers.erase(webhook(`http://127.0.0.1:${port}/ok`), EVENT);
    expect(signatures[0]).toMatch(new RegExp(`^t=${Math.floor(NOW.getTime() / 1000)},v1=`));
    await expect(erasers.erase(webhook(`http://127.0.0.1:${port}/silent`), EVENT)).rejects.toThrow(
      'Webhook target: timed out after 200 ms',
    );
  });
});
