// PostGraphile 4 (the library, as its docs show it) over a bench database, in its own
// process: the peer a user would pick for a GraphQL API over PostgreSQL. Its generated
// delete mutation is what bench/postgraphile.ts compares our deleteChat with.
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile';

const url = process.env.BENCH_DB;
if (!url) throw new Error('BENCH_DB is required');
// The same pool size as ours (src/data/postgres/postgres-store.ts).
const pool = new pg.Pool({ connectionString: url, max: 10 });
const handler = postgraphile(pool, 'public', {
  graphiql: false,
  watchPg: false,
  disableQueryLog: true,
  retryOnInitFail: false,
  // Production settings from PostGraphile's docs: no extended errors, no stack traces.
  extendedErrors: [],
  showErrorStack: false,
});
const server = createServer(handler);
server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${server.address().port}` });
});
process.on('message', (message) => {
  if (message?.type === 'stop') server.close(() => pool.end().then(() => process.exit(0)));
});
process.on('disconnect', () => process.exit(0));
