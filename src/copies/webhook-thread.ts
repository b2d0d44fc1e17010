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
// Messages carry lists both ways: the POSTs asked for together, the answers that came in one
// turn of the thread's loop (a message costs the event loop about as much as the POST's
// building; bench/RESULTS.md, "Erasure targets").
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
let answers = [];
const flush = () => {
  parentPort.postMessage(answers);
  answers = [];
};
parentPort.on('message', (posts) => posts.forEach(post));
function post({ id, url, body, headers, timeoutMs, bodyLimitBytes }) {
  let answered = false;
  const answer = (outcome) => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    if (answers.push({ id, outcome }) === 1) setImmediate(flush);
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
}
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
  /** Asked for in this turn of the event loop, sent to the thread together at its end. */
  private unsent: (WebhookPost & { id: number })[] = [];

  post(post: WebhookPost): Promise<PostOutcome> {
    const id = this.next++;
    const answered = new Promise<PostOutcome>((resolve) => this.waiting.set(id, resolve));
    if (this.unsent.push({ id, ...post }) === 1) queueMicrotask(() => this.send());
    return answered;
  }

  /** Ends the thread; what still waits is answered 'closing'. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.answerAll({ failure: 'closing' });
    await worker?.terminate();
  }

  private send(): void {
    const posts = this.unsent;
    this.unsent = [];
    // Answered meanwhile (answerAll), so not sent.
    if (posts.length === 0) return;
    const worker = (this.worker ??= this.start());
    worker.ref();
    worker.postMessage(posts);
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (answers: { id: number; outcome: PostOutcome }[]) => {
      for (const { id, outcome } of answers) {
        const resolve = this.waiting.get(id);
        this.waiting.delete(id);
        resolve?.(outcome);
      }
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

  /** Answers every POST asked for so far, those not yet sent too (then they never are). */
  private answerAll(outcome: PostOutcome): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    this.unsent = [];
    for (const resolve of waiting) resolve(outcome);
  }
}
