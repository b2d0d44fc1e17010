import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The repository root (bench/lib/../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The fixed API key every benchmark database carries (tenant "bench"). */
export const BENCH_KEY = 'cgw_bench_key_0000000000000000000000000000';

export function intArg(name: string, fallback: number, argv = process.argv.slice(2)): number {
  const { values } = parseArgs({ args: argv, options: { [name]: { type: 'string' } }, strict: false, allowPositionals: true });
  const raw = values[name];
  if (raw === undefined || typeof raw !== 'string') return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} ${raw}: a positive integer is needed`);
  return n;
}

export function flagArg(name: string, argv = process.argv.slice(2)): boolean {
  const { values } = parseArgs({ args: argv, options: { [name]: { type: 'boolean' } }, strict: false, allowPositionals: true });
  return values[name] === true;
}

/** A temporary folder removed at exit (also on Ctrl-C). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cgw-bench-${prefix}-`));
  const clean = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', clean);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      clean();
      process.exit(130);
    });
  }
  return dir;
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 0)} MB`;

/** Prints an aligned table (first row: headers). */
export function table(rows: (string | number)[][]): void {
  const text = rows.map((r) => r.map((c) => String(c)));
  const widths = text[0]!.map((_, i) => Math.max(...text.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(text[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of text.slice(1)) console.log(line(r));
}

export function verdict(met: boolean): string {
  return met ? 'MET' : 'MISSED';
}

export function heading(title: string): void {
  console.log(`\n=== ${title} ===`);
}

/**
 * The machine's load average: other work on these 2 cores (a test suite, say) moves the
 * figures a lot, so every script prints it at its start and end.
 */
export function reportLoad(when: 'start' | 'end'): void {
  const [one, five] = loadavg();
  const busy = one! > 0.7;
  console.log(`(load average at the ${when}: ${one!.toFixed(2)} over 1 min, ${five!.toFixed(2)} over 5${busy ? ': the machine is busy with other work, figures are noisy' : ''})`);
}

/** A keep-alive JSON-over-HTTP client for the measuring side (one socket per concurrent call). */
export class HttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  constructor(private readonly base: string) {}

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const payload = Buffer.from(JSON.stringify(body));
    const url = new URL(path, this.base);
    return new Promise((resolveCall, reject) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': payload.length, ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolveCall({ status: res.statusCode ?? 0, body: JSON.parse(text) });
            } catch {
              resolveCall({ status: res.statusCode ?? 0, body: text });
            }
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** A GraphQL call with the bench key; throws on GraphQL errors. */
  async gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const { status, body } = await this.post('/graphql', { query, variables }, { 'x-api-key': BENCH_KEY });
    if (status !== 200 || body.errors) throw new Error(`GraphQL call failed (${status}): ${JSON.stringify(body).slice(0, 500)}`);
    return body.data as T;
  }

  close(): void {
    this.agent.destroy();
  }
}
