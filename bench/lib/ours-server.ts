// The product in its own process: createApp + listen on a loopback port, plus the
// bench's measuring RPC (event-loop delay, memory, SQL statement log). Nothing here is
// part of src/.
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { listen } from '../../src/server.ts';
import { serveRpc } from './child-runtime.ts';

const db = process.env.BENCH_DB;
if (!db) throw new Error('BENCH_DB is required');
const record = process.env.BENCH_RECORD_QUERIES === '1';

let count = 0;
let totalMs = 0;
let statements: string[] = [];
let byStatement = new Map<string, { count: number; totalMs: number; maxMs: number }>();
const app = await createApp(
  // The per-key write rate limit (if this version has one) is an operational throttle, not
  // a cost: it is switched off so the load measures the work itself.
  { ...loadConfig({ RATE_LIMIT_WRITES_PER_MINUTE: '0' }), databaseUrl: db },
  {
    purgeTimer: false,
    onQuery: record
      ? (sql, durationMs) => {
          count++;
          totalMs += durationMs;
          if (statements.length < 10_000) statements.push(sql);
          const agg = byStatement.get(sql) ?? { count: 0, totalMs: 0, maxMs: 0 };
          agg.count++;
          agg.totalMs += durationMs;
          agg.maxMs = Math.max(agg.maxMs, durationMs);
          byStatement.set(sql, agg);
        }
      : undefined,
  },
);
const server = await listen(app, 0, '127.0.0.1');

serveRpc(
  {
    'queries:reset': () => {
      count = 0;
      totalMs = 0;
      statements = [];
      byStatement = new Map();
      return true;
    },
    'queries:get': () => ({ count, totalMs, statements, byStatement: [...byStatement].map(([sql, a]) => ({ sql, ...a })) }),
  },
  () => server.stop(),
);
process.send?.({ type: 'ready', url: server.url });
