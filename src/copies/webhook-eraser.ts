import { createHmac } from 'node:crypto';
import type { CopyTarget, ErasureEvent } from '../domain/copy-erasure.ts';
import { WebhookThread } from './webhook-thread.ts';

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
  // node:http with kept-alive connections rather than fetch (a third of the CPU), in a
  // thread of its own (bench/RESULTS.md, "Erasure targets").
  private readonly thread = new WebhookThread();
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
    const outcome = await this.thread.post({
      url: url.href,
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': 'chat-gateway',
        [SIGNATURE_HEADER]: signatureHeader(target.secret, body, t),
      },
      timeoutMs: this.timeoutMs,
      bodyLimitBytes: BODY_LIMIT_BYTES,
    });
    if ('failure' in outcome) throw new Error(this.describe(outcome.failure));
    const { status } = outcome;
    if (status >= 300 && status < 400) throw new Error(`Webhook target: redirect ${status} not followed`);
    if (status < 200 || status >= 300) throw new Error(`Webhook target: HTTP ${status}`);
  }

  /** Aborts what still waits for an answer, so a shutdown does not wait on a slow receiver. */
  async close(): Promise<void> {
    this.closed = true;
    await this.thread.close();
  }

  /** A failed request's cause fit to show: never the URL, which may carry credentials. */
  private describe(failure: string): string {
    if (failure === 'closing') return CLOSING;
    if (failure === 'timeout') return `Webhook target: timed out after ${this.timeoutMs} ms`;
    return `Webhook target: ${REASONS[failure] ?? `request failed (${failure})`}`;
  }
}

const CLOSING = 'Webhook target: not confirmed, the eraser is closing';

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection closed before the answer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  thread: 'the thread that sends webhooks stopped',
};
