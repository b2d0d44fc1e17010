// `npm run bench`: every benchmark, one after the other, each in its own process.
//
//   npx tsx bench/run-all.ts [--quick] [--only small-deletes,reads]
//
// --quick runs smaller sizes (a smoke test of the suite, not figures to quote).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/util.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });

const SUITE: { name: string; args: string[]; quick: string[] }[] = [
  { name: 'small-deletes', args: [], quick: ['--chats', '20000', '--duration', '3'] },
  { name: 'large-delete', args: [], quick: ['--messages', '100000'] },
  { name: 'erasure-crash', args: [], quick: ['--messages', '200000'] },
  { name: 'filtered-deletes', args: [], quick: ['--messages', '400000'] },
  { name: 'postgraphile', args: [], quick: ['--rounds', '1', '--duration', '3', '--chats', '20000'] },
  { name: 'reads', args: [], quick: [] },
  { name: 'memory', args: [], quick: ['--duration', '3'] },
  { name: 'erasure-targets', args: [], quick: ['--rounds', '1', '--duration', '3', '--chats', '20000'] },
  { name: 'export', args: [], quick: ['--messages', '100000', '--rounds', '1'] },
];

const only = values.only?.split(',').map((s) => s.trim());
const failed: string[] = [];
const started = performance.now();
for (const bench of SUITE) {
  if (only && !only.includes(bench.name)) continue;
  const args = values.quick ? bench.quick : bench.args;
  console.log(`\n##### bench/${bench.name}.ts ${args.join(' ')}`);
  const t = performance.now();
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', `${bench.name}.ts`), ...args], { cwd: ROOT, stdio: 'inherit' });
  console.log(`##### ${bench.name}: ${run.status === 0 ? 'done' : `FAILED (exit ${run.status ?? run.signal})`} in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  if (run.status !== 0) failed.push(bench.name);
}
console.log(`\nall benchmarks: ${((performance.now() - started) / 1000).toFixed(0)} s${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
