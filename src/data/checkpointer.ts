import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Checkpoints the SQLite WAL from a worker thread with its own connection, so that the
 * copying and fsyncs of routine checkpoints never run on the event loop. Left to SQLite,
 * they run inside whichever commit crosses the threshold: during a large erasure that held
 * single commits for up to 105 ms (bench/RESULTS.md, target 2).
 *
 * Only PASSIVE checkpoints run here: they take no lock a writer waits for. A TRUNCATE
 * (erasure) holds the write lock while it waits for readers; the main connection, reading
 * in a transaction it then upgrades to a write, would get SQLITE_BUSY at once. So the
 * TRUNCATE stays on the main connection, between its transactions.
 */
export interface Checkpointer {
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
const timer = setInterval(() => {
  let changed = 0;
  try { changed = statSync(workerData.file + '-wal').mtimeMs; } catch {}
  if (changed === seen) return;
  seen = changed;
  db.pragma('wal_checkpoint(PASSIVE)');
}, workerData.pollMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/** `onFailure` runs if the worker dies: the caller then checkpoints by itself again. */
export function startCheckpointer(file: string, onFailure: (error: unknown) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, pollMs: POLL_MS } });
  // The worker must not keep a finished process alive.
  worker.unref();
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('error', (error) => {
    if (!closing) onFailure(error);
  });
  return {
    async close() {
      closing = true;
      // Held until it has closed its connection: the process must not end mid-close.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}
