import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Processes that each keep one core busy, standing for the realistic neighbours of a
 * server (another service, a backup, a build) while a figure is measured beside them.
 */
export function busyNeighbours(count: number): { stop(): void } {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) children.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const stop = () => {
    for (const child of children) child.kill('SIGKILL');
  };
  process.once('exit', stop);
  return { stop };
}
