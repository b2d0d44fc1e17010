import { type ChildProcess, fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { shippedNodeFlags, shippedServer } from './shipped.ts';
import { ROOT } from './util.ts';

export interface LoopStats {
  /** Longest event-loop stall seen since the last reset (monitorEventLoopDelay max), ms. */
  maxMs: number;
  p99Ms: number;
  meanMs: number;
}

export interface QueryLog {
  count: number;
  totalMs: number;
  statements: string[];
  /** Per distinct statement text: how often, total and longest duration (Kysely's timing). */
  byStatement: { sql: string; count: number; totalMs: number; maxMs: number }[];
}

export interface Memory {
  rss: number;
  heapUsed: number;
}

/** A server running in its own process (its own event loop), driven over IPC. */
export interface ServerChild {
  url: string;
  pid: number;
  rpc<T = unknown>(type: string, payload?: Record<string, unknown>): Promise<T>;
  loopReset(): Promise<void>;
  loopStats(): Promise<LoopStats>;
  queriesReset(): Promise<void>;
  queries(): Promise<QueryLog>;
  memory(): Promise<Memory>;
  /** Memory after a full GC (needs nodeFlags ['--expose-gc']). */
  memoryAfterGc(): Promise<Memory>;
  /** Profiles the child's main thread from now until profileStop writes `file` (.cpuprofile). */
  profileStart(intervalUs?: number): Promise<void>;
  profileStop(file: string): Promise<void>;
  /** Graceful stop (a --cpu-prof profile is written at exit). */
  stop(): Promise<void>;
}

export interface ChildOptions {
  db: string;
  /** Record every SQL statement (ours only). */
  recordQueries?: boolean;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeFlags?: string[];
  env?: Record<string, string>;
  /** Ours: run the TypeScript sources under tsx instead of the shipped bundle (bench/memory.ts compares). */
  tsx?: boolean;
  /** Where the server's output goes; by default a file beside the (SQLite) database. */
  log?: string;
}

/**
 * `kind`: 'ours' (createApp + listen), 'raw' (node:http + better-sqlite3 baseline of the
 * GraphQL operations) or 'raw-export' (the same, streaming a chat's NDJSON export).
 */
export async function startServer(kind: 'ours' | 'raw' | 'raw-export', options: ChildOptions): Promise<ServerChild> {
  // Ours runs as shipped (bundled, with the serve script's node flags) unless asked for tsx.
  const shipped = kind === 'ours' && !options.tsx;
  const script = shipped ? shippedServer() : join(ROOT, 'bench', 'lib', `${kind}-server.ts`);
  // The server's own output (request logs at the default level) goes to a file beside
  // its database: written as in production, without flooding the figures.
  const log = openSync(options.log ?? `${options.db}.${kind}.log`, 'a');
  const child: ChildProcess = fork(script, [], {
    cwd: ROOT,
    execArgv: [...(shipped ? shippedNodeFlags() : ['--import', 'tsx']), ...(options.nodeFlags ?? [])],
    env: {
      ...process.env,
      ...options.env,
      BENCH_DB: options.db,
      BENCH_RECORD_QUERIES: options.recordQueries ? '1' : '',
    },
    stdio: ['ignore', log, 'inherit', 'ipc'],
  });
  closeSync(log);
  const pending = new Map<number, (value: unknown) => void>();
  let next = 0;
  let exited = false;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${kind} server exited with code ${code} before it was ready`)));
    child.on('message', (message: any) => {
      if (message?.type === 'ready') resolve(message.url as string);
      else if (typeof message?.rpcId === 'number') {
        pending.get(message.rpcId)?.(message.result);
        pending.delete(message.rpcId);
      }
    });
  });
  const exitPromise = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.removeAllListeners('error');
  // Never leave a server behind if the bench dies.
  const kill = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const rpc = <T>(type: string, payload: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`${kind} server has exited`));
      const rpcId = next++;
      pending.set(rpcId, resolve as (value: unknown) => void);
      child.send({ rpcId, type, ...payload });
    });
  return {
    url,
    pid: child.pid!,
    rpc,
    loopReset: () => rpc('loop:reset'),
    loopStats: () => rpc<LoopStats>('loop:stats'),
    queriesReset: () => rpc('queries:reset'),
    queries: () => rpc<QueryLog>('queries:get'),
    memory: () => rpc<Memory>('memory'),
    memoryAfterGc: () => rpc<Memory>('memory:after-gc'),
    profileStart: (intervalUs = 500) => rpc('profile:start', { intervalUs }),
    profileStop: (file: string) => rpc('profile:stop', { file }),
    async stop() {
      if (exited) return;
      child.send({ rpcId: -1, type: 'stop' });
      const timer = setTimeout(kill, 15_000);
      await exitPromise;
      clearTimeout(timer);
      process.removeListener('exit', kill);
    },
  };
}
