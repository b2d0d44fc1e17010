import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// `chat-gateway serve --demo` in a process of its own, on SQLite in a fresh temporary folder:
// the demo data and the GraphiQL key prefill a person gets from `npm start`. (It is
// test/replicas/processes.ts's startReplica with `--demo`, which that one cannot pass.)

const root = new URL('../..', import.meta.url).pathname;
const bin = `${root}bin/chat-gateway.js`;

export interface DemoServer {
  /** http://127.0.0.1:PORT */
  url: string;
  process: ChildProcess;
  /** What the process printed so far (for failure messages). */
  output(): string;
  /** SIGTERM, wait for the exit, remove the temporary folder. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts the demo server and resolves once GraphiQL answers at /graphql. */
export async function startDemoServer(timeoutMs = 30_000): Promise<DemoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cgw-browser-'));
  const port = await freePort();
  const child = spawn('node', [bin, 'serve', '--demo'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: join(dir, 'demo.db'), PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when GraphiQL is served: independent of what the process logs, and of its format.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`chat-gateway serve --demo exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    try {
      const response = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' }, signal: AbortSignal.timeout(2000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`chat-gateway serve --demo did not answer within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, process: child, output: () => output, stop };
}
