import { parseArgs } from 'node:util';
import { DEMO_KEYS, seedDemo } from '../../seeds/demo.ts';
import { createApp } from '../app.ts';
import { ConfigError, loadConfig } from '../config/config.ts';
import { migrateToLatest } from '../data/migrate.ts';
import { type DataStore, openDatabase } from '../data/open-database.ts';
import { createApiKey } from '../domain/api-keys.ts';
import { isoNow, systemClock } from '../domain/clock.ts';
import { purgeExpiredThreads } from '../domain/purge.ts';
import { listen } from '../server.ts';

const HELP = `chat-gateway: a GraphQL gateway over chat data whose core job is deleting it

Usage: chat-gateway <command> [options]

Commands:
  serve [--demo]                          serve GraphQL (and GraphiQL) at http://HOST:PORT/graphql;
                                          --demo loads the demo data into an empty database
  migrate                                 bring the database schema up to date
  seed                                    load the deterministic demo data into an empty database
  create-key --tenant NAME [--name KEY]   create an API key (and the tenant if new);
                                          the key is printed once, alone on the last line
  purge                                   erase soft-deleted threads whose restore window has passed
  help                                    show this help

Configuration (environment): PORT (4000), HOST (127.0.0.1), DATABASE_URL (data/chat-gateway.db,
or :memory:), THREAD_RESTORE_DAYS (30), STREAM_TOKEN_INTERVAL_MS (50), PURGE_INTERVAL_MS (60000),
LOG_LEVEL (info).`;

async function withStore<T>(work: (store: DataStore) => Promise<T>): Promise<T> {
  const store = openDatabase(loadConfig().databaseUrl);
  try {
    await migrateToLatest(store.db);
    return await work(store);
  } finally {
    await store.close();
  }
}

function printDemoKeys(): void {
  console.log('Demo API keys (send as x-api-key):');
  for (const demo of Object.values(DEMO_KEYS)) console.log(`  ${demo.tenant.padEnd(7)} ${demo.key}`);
}

async function serve(demo: boolean): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config, { demoKey: demo ? DEMO_KEYS.acme.key : undefined });
  if (demo && (await seedDemo(app.deps.store.db))) console.log('Loaded the demo data into the empty database.');
  const { url, stop } = await listen(app, config.port, config.host);
  console.log(`chat-gateway serving GraphiQL at ${url}/graphql (database: ${config.databaseUrl})`);
  if (demo) printDemoKeys();
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      demo: { type: 'boolean', default: false },
      tenant: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0] ?? 'help';
  if (values.help || command === 'help') {
    console.log(HELP);
    return;
  }
  switch (command) {
    case 'serve':
      return serve(values.demo);
    case 'migrate':
      return withStore(async () => {
        console.log(`database ${loadConfig().databaseUrl} is at the latest schema`);
      });
    case 'seed':
      return withStore(async (store) => {
        console.log((await seedDemo(store.db)) ? 'Loaded the demo data.' : 'The database already holds data; nothing loaded.');
        printDemoKeys();
      });
    case 'create-key': {
      const tenant = values.tenant?.trim();
      if (!tenant) throw new UsageError('create-key needs --tenant NAME');
      return withStore(async (store) => {
        const created = await createApiKey(store.db, { tenant, name: values.name?.trim() || `${tenant}-key` }, isoNow(systemClock));
        console.log(`Created API key "${created.name}" for tenant "${tenant}". It is shown only this once:`);
        console.log(created.key);
      });
    }
    case 'purge':
      return withStore(async (store) => {
        const purged = await purgeExpiredThreads({ store, clock: systemClock });
        console.log(`Purged ${purged} expired soft-deleted thread(s).`);
      });
    default:
      throw new UsageError(`unknown command "${command}"; see chat-gateway help`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UsageError) console.error(`chat-gateway: ${error.message}`);
  else if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    console.error(`chat-gateway: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
