import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Server, createServer } from 'node:http';

/** One POST a receiver got, with whether its Chat-Gateway-Signature checks out. */
export interface Received {
  body: Record<string, unknown>;
  raw: string;
  signatureValid: boolean;
  headers: Record<string, string | string[] | undefined>;
  /** When it arrived (Date.now()). */
  at: number;
}

/**
 * A real webhook receiver on loopback that verifies signatures as a user's would (HMAC-SHA256
 * of "<t>.<body>", Stripe's scheme), written here from the documented scheme, not the server's code.
 * `answer` decides each status (204 by default), and may take its time.
 */
export async function startReceiver(secret: string, answer: (n: number) => number | Promise<number> = () => 204) {
  const received: Received[] = [];
  let server: Server | undefined;
  const listen = (port = 0) =>
    new Promise<number>((resolve) => {
      server = createServer((req, res) => {
        let raw = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (raw += chunk));
        req.on('end', () => {
          const header = String(req.headers['chat-gateway-signature'] ?? '');
          const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
          const v1 = /(?:^|,)v1=([0-9a-f]+)/.exec(header)?.[1];
          const expected = t === undefined ? '' : createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');
          const signatureValid = v1 !== undefined && v1.length === expected.length && timingSafeEqual(Buffer.from(v1), Buffer.from(expected));
          received.push({ body: JSON.parse(raw) as Record<string, unknown>, raw, signatureValid, headers: req.headers, at: Date.now() });
          void Promise.resolve(answer(received.length)).then((status) => res.writeHead(status).end());
        });
      });
      server.listen(port, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });
  const port = await listen();
  return {
    url: `http://127.0.0.1:${port}/hooks/erasure`,
    port,
    received,
    /** Stops listening (connections are refused) until `restart`. */
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
    restart: () => listen(port),
  };
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
