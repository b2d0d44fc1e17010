import { Worker } from 'node:worker_threads';

/** One POST, as the thread sends it. */
export interface WebhookPost {
  url: string;
  body: string;
  headers: Record<string, string | number>;
  timeoutMs: number;
  /** Of the answer's body, no more than this is read (only to free the connection). */
  bodyLimitBytes: number;
}

/** The answer's status, or why there was none: 'timeout', 'closing', or the socket error's code. */
export type PostOutcome = { status: number } | { failure: string };

// CommonJS run with `eval`, so the thread needs no loader under tsx, vitest or the bundle.
// It answers with the status as soon as it comes; the body is then read in the background
// (up to the limit, within the timeout) only to free the kept-alive connection, so a body
// that breaks off or stalls does not take back the status. Neither agent follows a redirect.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
parentPort.on('message', ({ id, url, body, headers, timeoutMs, bodyLimitBytes }) => {
  let answered = false;
  const answer = (outcome) => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    parentPort.postMessage({ id, outcome });
  };
  const target = new URL(url);
  const send = target.protocol === 'https:' ? https.request : http.request;
  const request = send(target, { method: 'POST', agent: agents[target.protocol], headers }, (response) => {
    answer({ status: response.statusCode || 0 });
    let read = 0;
    response.on('data', (chunk) => {
      read += chunk.byteLength;
      if (read > bodyLimitBytes) response.destroy();
    });
    response.on('error', () => {});
  });
  const timer = setTimeout(() => {
    answer({ failure: 'timeout' });
    request.destroy();
  }, timeoutMs);
  request.setTimeout(timeoutMs, () => request.destroy());
  request.on('error', (error) => answer({ failure: typeof error.code === 'string' ? error.code : 'failed' }));
  request.end(body);
});
`;

/**
 * Sends webhook POSTs from a worker thread, so that their HTTP work (about as much CPU as
 * a small delete's own, bench/RESULTS.md "Erasure targets") runs beside the event loop that
 * serves the deletes, not on it. Started at the first POST; it keeps the process alive only
 * while a POST waits for its answer.
 */
export class WebhookThread {
  private worker: Worker | undefined;
  private next = 0;
  private readonly waiting = new Map<number, (outcome: PostOutcome) => void>();

  post(post: WebhookPost): Promise<PostOutcome> {
    const worker = (this.worker ??= this.start());
    const id = this.next++;
    if (this.waiting.size === 0) worker.ref();
    const answered = new Promise<PostOutcome>((resolve) => this.waiting.set(id, resolve));
    worker.postMessage({ id, ...post });
    return answered;
  }

  /** Ends the thread; what still waits is answered 'closing'. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.answerAll({ failure: 'closing' });
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', ({ id, outcome }: { id: number; outcome: PostOutcome }) => {
      const resolve = this.waiting.get(id);
      this.waiting.delete(id);
      resolve?.(outcome);
      if (this.waiting.size === 0) worker.unref();
    });
    // A thread that died takes its POSTs with it: they are failed attempts, retried by the
    // outbox, and the next POST starts a new thread.
    const lost = () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.answerAll({ failure: 'thread' });
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    return worker;
  }

  private answerAll(outcome: PostOutcome): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const resolve of waiting) resolve(outcome);
  }
}
