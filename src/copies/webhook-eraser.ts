import { createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { CopyTarget, ErasureEvent } from '../domain/copy-erasure.ts';

export const SIGNATURE_HEADER = 'Chat-Gateway-Signature';
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Of a receiver's answer, only the status counts; more than this of its body is not read. */
const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The signature header of `body` sent at `unixSeconds`, Stripe's scheme: an HMAC-SHA256
 * of "<t>.<body>" keyed by the target's secret. The timestamp is signed too, so a receiver
 * can refuse a replay of an old delivery.
 */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/** The event as a receiver gets it: its ids, without the rows that only fill key patterns. */
export function webhookBody(event: ErasureEvent): string {
  const { id, receiptId, flowId, chatIds, threadIds, sessionIds, messageIds, erasedAt } = event;
  const fields = { id, type: 'erasure', receiptId, flowId, chatIds, threadIds, sessionIds, messageIds, erasedAt };
  return JSON.stringify(fields);
}

/** Erases at WEBHOOK targets: one signed POST of the event, confirmed by a 2xx answer. */
export class WebhookEraser {
  private readonly now: () => Date;
  private readonly timeoutMs: number;
  // Aborted at close(), so a shutdown does not wait on a slow receiver.
  private readonly inFlight = new Set<AbortController>();
  // node:http with kept-alive connections rather than fetch: a delivery then costs a
  // third of the CPU (bench/RESULTS.md, "Erasure targets"), on the event loop that serves
  // the deletes. Neither follows a redirect.
  private readonly agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };
  private closed = false;

  constructor(options: { now: () => Date; timeoutMs?: number | undefined }) {
    this.now = options.now;
    this.timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  }

  async erase(target: CopyTarget, event: ErasureEvent): Promise<void> {
    if (target.secret === null) throw new Error('Webhook target has no secret');
    if (this.closed) throw new Error(CLOSING);
    const url = new URL(target.url);
    // Refused when the target is added too: the signature, not a password, vouches for the event.
    if (url.username !== '' || url.password !== '') throw new Error('Webhook target: a URL with credentials is not used');
    const body = webhookBody(event);
    const t = Math.floor(this.now().getTime() / 1000);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    this.inFlight.add(controller);
    let status: number;
    try {
      status = await this.post(url, body, signatureHeader(target.secret, body, t), controller.signal);
    } catch (error) {
      throw new Error(controller.signal.aborted ? this.abortReason() : describe(error));
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
    if (status >= 300 && status < 400) throw new Error(`Webhook target: redirect ${status} not followed`);
    if (status < 200 || status >= 300) throw new Error(`Webhook target: HTTP ${status}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const controller of this.inFlight) controller.abort();
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
  }

  /**
   * The answer's status, as soon as it comes. The body is then read in the background (up
   * to BODY_LIMIT_BYTES, within the timeout) only to free the connection: a body that
   * breaks off or stalls does not take back the status.
   */
  private post(url: URL, body: string, signature: string, signal: AbortSignal): Promise<number> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const agent = url.protocol === 'https:' ? this.agents['https:'] : this.agents['http:'];
    return new Promise((resolve, reject) => {
      const request = send(
        url,
        {
          method: 'POST',
          agent,
          signal,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'chat-gateway',
            [SIGNATURE_HEADER]: signature,
          },
        },
        (response) => {
          resolve(response.statusCode ?? 0);
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.byteLength;
            if (read > BODY_LIMIT_BYTES) response.destroy();
          });
          response.on('error', () => {});
        },
      );
      request.setTimeout(this.timeoutMs, () => request.destroy());
      request.on('error', reject);
      request.end(body);
    });
  }

  private abortReason(): string {
    return this.closed ? CLOSING : `Webhook target: timed out after ${this.timeoutMs} ms`;
  }
}

const CLOSING = 'Webhook target: not confirmed, the eraser is closing';

/** A failed request's cause fit to show: never the URL, which may carry credentials. */
function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const reason = typeof code === 'string' ? (REASONS[code] ?? `request failed (${code})`) : 'request failed';
  return `Webhook target: ${reason}`;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection closed before the answer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};
