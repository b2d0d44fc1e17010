// How the product ships (package.json: `npm run build`, then `npm run serve`), applied to
// the bench's server entry, so the figures are those of what users run. Both are read
// from package.json rather than copied, so the bench follows any change to them.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './util.ts';

const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** The node flags `npm run serve` starts the server with. */
export function shippedNodeFlags(): string[] {
  const words = scripts.serve!.split(/\s+/);
  return words.slice(words.indexOf('node') + 1).filter((w) => w.startsWith('--'));
}

let built: string | undefined;

/**
 * bench/lib/ours-server.ts bundled with the options `npm run build` uses, once per run. The
 * bundle sits in bench/lib, where the packages it imports by name resolve.
 */
export function shippedServer(): string {
  if (built) return built;
  const options = scripts.build!.split(/\s+/).filter((w) => w.startsWith('--') && !w.startsWith('--outfile'));
  const file = join(ROOT, 'bench', 'lib', `.ours-server.shipped.${process.pid}.mjs`);
  execFileSync(join(ROOT, 'node_modules', '.bin', 'esbuild'), [join(ROOT, 'bench', 'lib', 'ours-server.ts'), ...options, `--outfile=${file}`], { cwd: ROOT });
  process.once('exit', () => {
    for (const f of [file, `${file}.map`]) rmSync(f, { force: true });
  });
  built = file;
  return file;
}
