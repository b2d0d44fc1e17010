import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the SQLite WAL from a worker thread with its own connection, so that the
 * copying and fsyncs of checkpoints run off the event loop. Left to SQLite, they run inside
 * whichever commit crosses the threshold: during a large erasure that held single commits
 * for up to 105 ms (bench/RESULTS.md, target 2).
 *
 * The worker runs PASSIVE checkpoints only: they take no lock a writer waits for. Emptying
 * the WAL (TRUNCATE, for erasure) holds the write lock while it waits for readers; from the
 * worker, it made the main connection's read-then-write transactions fail with SQLITE_BUSY.
 * So the main connection truncates, between its transactions, after `catchUp` has had the
 * worker copy the WAL into the database (and pause, so the two never contend): what is left
 * to do on the event loop is then little more than the truncation.
 */
export interface Checkpointer {
  /** Copies the WAL into the database now and pauses until `resume`; false when the worker is gone. */
  catchUp(): Promise<boolean>;
  resume(): void;
  close(): Promise<void>;
}

/** How often the worker looks at the WAL; it checkpoints whenever the WAL has changed. */
const POLL_MS = 200;

// CommonJS run with `eval`, so the worker needs no loader under tsx, vitest or the bundle.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
let seen = 0;
let paused = 0;
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)');
const timer = setInterval(() => {
  let changed = 0;
  try { changed = statSync(workerData.file + '-wal').mtimeMs; } catch {}
  if (paused || changed === seen) return;
  seen = changed;
  checkpoint();
}, workerData.pollMs);
parentPort.on('message', (message) => {
  if (message === 'catch-up') {
    paused++;
    try { checkpoint(); } finally { parentPort.postMessage('caught-up'); }
  } else if (message === 'resume') {
    paused--;
  } else {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
`;

/** `onFailure` runs if the worker dies: the caller then checkpoints by itself again. */
export function startCheckpointer(file: string, onFailure: (error: unknown) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, pollMs: POLL_MS } });
  // An idle worker must not keep a finished process alive; one the caller awaits must.
  worker.unref();
  let alive = true;
  // The worker answers catch-ups in the order asked.
  const waiting: Array<(ok: boolean) => void> = [];
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('error', (error) => {
    if (!alive) return;
    alive = false;
    for (const resolve of waiting.splice(0)) resolve(false);
    onFailure(error);
  });
  worker.on('message', () => {
    waiting.shift()?.(true);
    if (waiting.length === 0) worker.unref();
  });
  return {
    catchUp() {
      if (!alive) return Promise.resolve(false);
      return new Promise((resolve) => {
        waiting.push(resolve);
        worker.ref();
        worker.postMessage('catch-up');
      });
    },
    resume() {
      if (alive) worker.postMessage('resume');
    },
    async close() {
      if (alive) {
        alive = false;
        worker.ref();
        worker.postMessage('close');
      }
      await exited;
    },
  };
}
