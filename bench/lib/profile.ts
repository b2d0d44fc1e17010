import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, fmt, table } from './util.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function shortUrl(url: string): string {
  return url.replace(`file://${ROOT}/`, '').replace(/^.*node_modules\//, 'node_modules/');
}

const SQLITE_NATIVE = new Set(['all', 'get', 'run', 'iterate', 'Statement', 'exec', 'pragma', 'raw', 'columns']);

/** Which package (or part of the product) a frame belongs to. */
function packageOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName.startsWith('(')) return functionName;
    // better-sqlite3's native methods: the time SQLite itself runs (I/O and fsync included).
    if (SQLITE_NATIVE.has(functionName)) return 'better-sqlite3 native (SQLite itself, fsync included)';
    if (functionName === 'writev' || functionName === 'writeString' || functionName === 'writeBuffer' || functionName === 'writeUtf8String')
      return 'native writes (sockets, log file)';
    return 'other native (V8 builtins)';
  }
  if (url.startsWith('node:')) return 'node: internals';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.includes('/src/')) return 'chat-gateway src/';
  if (url.includes('/bench/')) return 'bench harness';
  return url;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  wallMs?: number;
  top: { name: string; selfMs: number; pct: number }[];
  packages: { name: string; selfMs: number; pct: number }[];
}

/** Self time per function and per package of a .cpuprofile (or the newest one in a folder). */
export function summariseProfile(path: string, wallMs?: number, topN = 25): ProfileSummary {
  let file = path;
  if (!path.endsWith('.cpuprofile')) {
    const files = readdirSync(path).filter((f) => f.endsWith('.cpuprofile')).sort();
    if (files.length === 0) throw new Error(`no .cpuprofile in ${path}`);
    file = join(path, files[files.length - 1]!);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    const name = `${frame.functionName || '(anonymous)'}  ${frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : ''}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const pkg = packageOf(frame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  const rank = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, selfMs: us / 1000, pct: (100 * us) / total }));
  return { file, totalMs: total / 1000, idleMs: idle / 1000, wallMs, top: rank(byFunction, topN), packages: rank(byPackage, 15) };
}

export function printProfile(summary: ProfileSummary): void {
  console.log(
    `main thread: ${fmt(summary.totalMs, 0)} ms busy, ${fmt(summary.idleMs, 0)} ms idle (waiting for the network or the load generator)` +
      (summary.wallMs ? ` in ${fmt(summary.wallMs, 0)} ms` : ''),
  );
  console.log('\nself time by package:');
  table([['package', 'self ms', '%'], ...summary.packages.map((p) => [p.name, fmt(p.selfMs, 0), fmt(p.pct)])]);
  console.log('\ntop self-time functions:');
  table([['function', 'self ms', '%'], ...summary.top.map((p) => [p.name.slice(0, 110), fmt(p.selfMs, 0), fmt(p.pct)])]);
}
