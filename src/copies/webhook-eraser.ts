import { createHmac } from 'node:crypto';
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
  // Aborted at close(), so a shutdown does not wait on a slow receiver. One controller per
  // request rather than AbortSignal.any with a long-lived signal, which Node keeps a
  // reference to each time (nodejs/node#55351).
  private readonly inFlight = new Set<AbortController>();
  private closed = false;

  constructor(options: { now: () => Date; timeoutMs?: number | undefined }) {
    this.now = options.now;
    this.timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  }

  async erase(target: CopyTarget, event: ErasureEvent): Promise<void> {
    if (target.secret === null) throw new Error('Webhook target has no secret');
    if (this.closed) throw new Error(CLOSING);
    const body = webhookBody(event);
    const t = Math.floor(this.now().getTime() / 1000);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    this.inFlight.add(controller);
    let status: number;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'chat-gateway',
          [SIGNATURE_HEADER]: signatureHeader(target.secret, body, t),
        },
        body,
        // A redirect could lead to a host the operator never allowed as a target.
        redirect: 'manual',
        signal: controller.signal,
      });
      status = response.status;
      // The status is the answer; the body is read only to free the connection, and a body
      // that breaks off does not take back a 2xx.
      await discard(response).catch(() => {});
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
  }

  private abortReason(): string {
    return this.closed ? CLOSING : `Webhook target: timed out after ${this.timeoutMs} ms`;
  }
}

const CLOSING = 'Webhook target: not confirmed, the eraser is closing';

/** A failed request's cause fit to show: never the URL, which may carry credentials. */
function describe(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  const reason = typeof code === 'string' ? (REASONS[code] ?? `request failed (${code})`) : 'request failed';
  return `Webhook target: ${reason}`;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection closed before the answer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** Reads the answer's body (up to BODY_LIMIT_BYTES), so its connection can serve the next request. */
async function discard(response: Response): Promise<void> {
  if (!response.body) return;
  let read = 0;
  for await (const chunk of response.body) {
    read += (chunk as Uint8Array).byteLength;
    if (read > BODY_LIMIT_BYTES) break; // leaving the loop cancels the rest
  }
}
