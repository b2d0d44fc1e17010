import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

// CPU time per process from /proc (Linux; elsewhere nothing is measured and callers leave
// their CPU columns empty): where a request's time goes on a machine whose cores the
// servers, PostgreSQL and the load share.

const TICK_MS = 1000 / (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's name and the CPU ms it has used (user + system), or undefined when gone. */
export function processCpu(pid: number | string): { comm: string; ms: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return undefined;
  }
}

/**
 * The CPU ms a process's main thread has used (its tid is the pid), or NaN where /proc has
 * no schedstat: the thread that runs the event loop, busy all the time under a full load,
 * bounds a server's throughput, while its other threads (libuv's pool, a worker) use the
 * other cores.
 */
export function mainThreadCpu(pid: number | string): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return Number.NaN;
  }
}

/** The CPU ms of every postgres process by pid (all databases: other work on the cluster counts too). */
export function postgresCpu(): Map<string, number> {
  const all = new Map<string, number>();
  if (!existsSync('/proc/self/stat')) return all;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cpu = processCpu(pid);
    if (cpu?.comm === 'postgres') all.set(pid, cpu.ms);
  }
  return all;
}

/** CPU ms the postgres processes used since `before`: a backend started since counts whole, one that ended is lost. */
export function postgresCpuSince(before: Map<string, number>): number {
  let ms = 0;
  for (const [pid, now] of postgresCpu()) ms += now - (before.get(pid) ?? 0);
  return ms;
}
