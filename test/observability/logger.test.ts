import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// src/observability/logger.ts: stdout's JSON lines are written in batches, yet a quiet
// server's line still shows within the flush interval, and nothing is lost at exit.

const logger = new URL('../../src/observability/logger.ts', import.meta.url).pathname;

function child(script: string) {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { createLogger } from ${JSON.stringify(logger)};\n${script}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

describe('the stdout logger', () => {
  it('shows a line of a process that then stays quiet, without waiting for more lines or the exit', async () => {
    const c = child(`createLogger('info').info({ n: 1 }, 'quiet line'); setTimeout(() => {}, 20000);`);
    const deadline = Date.now() + 10_000;
    while (!c.output().includes('quiet line') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(c.proc.exitCode).toBeNull();
    expect(JSON.parse(c.output().trim())).toMatchObject({ msg: 'quiet line', n: 1, level: 30 });
    c.proc.kill();
    await c.exited;
  }, 20_000);

  it('writes every line a process logged before it exits at once', async () => {
    const c = child(`const l = createLogger('info'); for (let i = 0; i < 500; i++) l.info({ i }, 'line'); process.exit(0);`);
    expect(await c.exited).toBe(0);
    const lines = c.output().trim().split('\n').map((l) => JSON.parse(l) as { i: number });
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  }, 20_000);
});
