import { createHmac, timingSafeEqual } from 'node:crypto';
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookEraser } from '../../src/copies/webhook-eraser.ts';
import type { CopyTarget, ErasureEvent } from '../../src/domain/copy-erasure.ts';

// A real HTTP receiver on 127.0.0.1: what one erase sends (body, headers, a signature the
// test checks on its own with node:crypto, as a receiver would), and which answers fail it.

const SECRET = 'whsec_test_0123456789';
const NOW = new Date('2026-12-01T12:34:56.789Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

const EVENT: ErasureEvent = {
  id: 'e0000000-0000-4000-8000-000000000001',
  receiptId: 'r0000000-0000-4000-8000-000000000002',
  flowId: 'f0000000-0000-4000-8000-000000000003',
  chatIds: ['c0000000-0000-4000-8000-000000000004'],
  threadIds: ['t0000000-0000-4000-8000-000000000005'],
  sessionIds: ['session-é-1'],
  messageIds: ['m0000000-0000-4000-8000-000000000006', 'm0000000-0000-4000-8000-000000000007'],
  rows: [
    {
      chatId: 'c0000000-0000-4000-8000-000000000004',
      threadId: 't0000000-0000-4000-8000-000000000005',
      sessionId: 'session-é-1',
    },
  ],
  erasedAt: '2026-12-01T12:30:00.000Z',
};

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

const servers: { close(): Promise<void> }[] = [];
const erasers: WebhookEraser[] = [];

afterEach(async () => {
  await Promise.all(erasers.splice(0).map((eraser) => eraser.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A receiver that records each request (its raw body read in full) and answers with `answer`. */
async function receiver(answer: Answer) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { method = '', url = '', headers } = request;
      received.push({ method, url, headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const handle = {
    url: `http://127.0.0.1:${port}/hooks/erasure`,
    port,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(handle);
  return handle;
}

const status = (code: number, headers: Record<string, string> = {}): Answer => (_request, response) => {
  response.writeHead(code, headers).end('answer body');
};

const target = (url: string, secret: string | null = SECRET): CopyTarget => ({
  kind: 'WEBHOOK',
  url,
  keyPattern: null,
  secret,
});

function eraser(timeoutMs?: number): WebhookEraser {
  const made = new WebhookEraser({ now: () => NOW, timeoutMs });
  erasers.push(made);
  return made;
}

const rejection = async (promise: Promise<unknown>): Promise<Error> => {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
};

/** Checks a signature header the way a receiver would: recompute the HMAC, compare in constant time. */
function verify(header: string | undefined, rawBody: string): { t: number; valid: boolean } {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return { t: Number.NaN, valid: false };
  const [, t = '', v1 = ''] = match;
  const expected = createHmac('sha256', SECRET).update(`${t}.${rawBody}`).digest();
  return { t: Number(t), valid: timingSafeEqual(Buffer.from(v1, 'hex'), expected) };
}

describe('WebhookEraser', () => {
  it('POSTs the event once, without its rows, signed over the raw body with the clock’s time', async () => {
    const hook = await receiver(status(200));
    await eraser().erase(target(hook.url), EVENT);

    expect(hook.received).toHaveLength(1);
    const [request] = hook.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hooks/erasure');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toBe('chat-gateway');

    const body = JSON.parse(request?.body ?? '') as Record<string, unknown>;
    expect(Object.keys(body)).toEqual([
      'id',
      'type',
      'receiptId',
      'flowId',
      'chatIds',
      'threadIds',
      'sessionIds',
      'messageIds',
      'erasedAt',
    ]);
    expect(body).toEqual({
      id: EVENT.id,
      type: 'erasure',
      receiptId: EVENT.receiptId,
      flowId: EVENT.flowId,
      chatIds: EVENT.chatIds,
      threadIds: EVENT.threadIds,
      sessionIds: EVENT.sessionIds,
      messageIds: EVENT.messageIds,
      erasedAt: EVENT.erasedAt,
    });

    const { t, valid } = verify(request?.headers['chat-gateway-signature'] as string | undefined, request?.body ?? '');
    expect(t).toBe(NOW_SECONDS);
    expect(valid).toBe(true);
    // The signature is of these exact bytes: any change to the body fails it.
    expect(verify(request?.headers['chat-gateway-signature'] as string, `${request?.body} `).valid).toBe(false);
  });

  it('sends messageIds null when the event has too many to list', async () => {
    const hook = await receiver(status(200));
    await eraser().erase(target(hook.url), { ...EVENT, messageIds: null });
    expect(JSON.parse(hook.received[0]?.body ?? '')).toMatchObject({ messageIds: null });
  });

  it('takes any 2xx as confirmation, and reads no more than a bounded part of a large body', async () => {
    for (const code of [201, 202, 204]) {
      const hook = await receiver(status(code));
      await expect(eraser().erase(target(hook.url), EVENT)).resolves.toBeUndefined();
    }
    const big = await receiver((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('x'.repeat(5 * 1024 * 1024));
    });
    await expect(eraser().erase(target(big.url), EVENT)).resolves.toBeUndefined();
  });

  it('stops reading a body that goes on past the bound instead of waiting for its end', async () => {
    const endless = await receiver((_request, response) => {
      response.writeHead(200);
      response.write(Buffer.alloc(256 * 1024));
    });
    const started = Date.now();
    await eraser(5000).erase(target(endless.url), EVENT);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('takes a 2xx as confirmation even when its body then breaks off', async () => {
    const stalled = await receiver((_request, response) => {
      response.writeHead(200);
      response.write('partial');
    });
    await expect(eraser(300).erase(target(stalled.url), EVENT)).resolves.toBeUndefined();
  });

  it('rejects a 500 with a message naming the status', async () => {
    const hook = await receiver(status(500));
    const error = await rejection(eraser().erase(target(hook.url), EVENT));
    expect(error.message).toBe('Webhook target: HTTP 500');
    expect(hook.received).toHaveLength(1);

    const other = await receiver(status(404));
    expect((await rejection(eraser().erase(target(other.url), EVENT))).message).toBe('Webhook target: HTTP 404');
  });

  it('rejects a redirect and does not follow it', async () => {
    for (const code of [301, 302, 307, 308]) {
      const hook = await receiver(status(code, { location: '/elsewhere' }));
      const error = await rejection(eraser().erase(target(hook.url), EVENT));
      expect(error.message).toBe(`Webhook target: redirect ${code} not followed`);
      expect(hook.received.map((r) => r.url)).toEqual(['/hooks/erasure']);
    }
  });

  it('rejects after the timeout when the receiver never answers', async () => {
    const hook = await receiver(() => {});
    const started = Date.now();
    const error = await rejection(eraser(300).erase(target(hook.url), EVENT));
    const took = Date.now() - started;
    expect(error.message).toBe('Webhook target: timed out after 300 ms');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
  });

  it('rejects when nothing listens at the target', async () => {
    const hook = await receiver(status(200));
    await hook.close();
    const error = await rejection(eraser().erase(target(hook.url), EVENT));
    expect(error.message).toBe('Webhook target: connection refused');
  });

  it('rejects when the receiver hangs up without an answer', async () => {
    const hook = await receiver((request) => request.socket.destroy());
    const error = await rejection(eraser().erase(target(hook.url), EVENT));
    expect(error.message).toBe('Webhook target: connection closed before the answer');
  });

  it('never shows the URL, credentials and all', async () => {
    const hook = await receiver(status(200));
    const error = await rejection(eraser().erase(target(`http://user:pa55word@127.0.0.1:${hook.port}/`), EVENT));
    expect(error.message).toBe('Webhook target: a URL with credentials is not used');
    expect(hook.received).toHaveLength(0);
  });

  it('close() aborts an erase still waiting for its answer', async () => {
    const hook = await receiver(() => {});
    const closing = eraser();
    const pending = rejection(closing.erase(target(hook.url), EVENT));
    while (hook.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await closing.close();
    expect((await pending).message).toBe('Webhook target: not confirmed, the eraser is closing');
    expect((await rejection(closing.erase(target(hook.url), EVENT))).message).toBe(
      'Webhook target: not confirmed, the eraser is closing',
    );
  });

  it('refuses a target without a secret', async () => {
    const hook = await receiver(status(200));
    const error = await rejection(eraser().erase(target(hook.url, null), EVENT));
    expect(error.message).toBe('Webhook target has no secret');
    expect(hook.received).toHaveLength(0);
  });
});
