import { parseArgs } from 'node:util';
import { DEMO_KEYS, seedDemo } from '../../seeds/demo.ts';
import { closeDeps, createApp, createDeps, createOutbox, settingsOf } from '../app.ts';
import { type Config, ConfigError, loadConfig } from '../config/config.ts';
import { migrateToLatest } from '../data/migrate.ts';
import type { DataStore } from '../data/data-store.ts';
import { openDatabase } from '../data/open-database.ts';
import { createApiKey, parsePermissions, revokeApiKeys, rotateApiKey } from '../domain/api-keys.ts';
import { ignoreDeletions } from '../domain/deletion-observer.ts';
import { diagnose } from '../domain/doctor.ts';
import { NotFoundError, ValidationError } from '../domain/errors.ts';
import { isoNow, systemClock } from '../domain/clock.ts';
import { ndjsonChunks, openChatExport } from '../domain/chat-export.ts';
import { operatorScope } from '../domain/operator-scope.ts';
import { countPurgeable, purgeExpiredThreads } from '../domain/purge.ts';
import { runAllRetention } from '../domain/retention.ts';
import { createLogger } from '../observability/logger.ts';
import { verifyAuditLog } from '../domain/verify-audit.ts';
import { listen } from '../server.ts';
import { commandHelp, overview } from './help.ts';
import { progressBar } from './progress.ts';
import { describeBreak, summary } from './verify-audit-report.ts';
import { runHoldCommand } from './holds.ts';
import { runPolicyCommand } from './retention-policies.ts';
import { writeChunks } from './write-chunks.ts';

async function withStore<T>(config: Config, work: (store: DataStore) => Promise<T>): Promise<T> {
  const store = openDatabase(config.databaseUrl);
  try {
    await migrateToLatest(store);
    return await work(store);
  } finally {
    await store.close();
  }
}

function printDemoKeys(): void {
  console.log('Demo API keys (send as x-api-key):');
  for (const demo of Object.values(DEMO_KEYS)) console.log(`  ${demo.tenant.padEnd(7)} ${demo.key}`);
}

async function serve(config: Config, demo: boolean): Promise<void> {
  const app = await createApp(config, { demoKey: demo ? DEMO_KEYS.acme.key : undefined });
  if (demo && (await seedDemo(app.deps.store.db))) console.log('Loaded the demo data into the empty database.');
  // A stray rejection must not take every client down with the process: log it, serve on.
  process.on('unhandledRejection', (reason) => console.error('unhandled rejection', reason));
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
      scopes: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      scope: { type: 'string' },
      target: { type: 'string' },
      reason: { type: 'string' },
      id: { type: 'string' },
      active: { type: 'string' },
      flow: { type: 'string' },
      'max-age-days': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0] ?? 'help';
  if (command === 'help') {
    const topic = positionals[1];
    if (topic === undefined) return void console.log(overview());
    return void console.log(commandHelp(topic) ?? unknownCommand(topic));
  }
  if (values.help) return void console.log(commandHelp(command) ?? unknownCommand(command));
  if (!commandHelp(command)) unknownCommand(command);
  const config = loadConfig(process.env, values.config);
  switch (command) {
    case 'serve':
      return serve(config, values.demo);
    case 'migrate':
      return withStore(config, async () => {
        console.log(`database ${config.databaseUrl} is at the latest schema`);
      });
    case 'seed':
      return withStore(config, async (store) => {
        const bar = progressBar('seeding');
        const loaded = await seedDemo(store.db, (done, total) => bar.update(done, total));
        if (loaded) bar.finish(1, 1);
        console.log(loaded ? 'Loaded the demo data.' : 'The database already holds data; nothing loaded.');
        printDemoKeys();
      });
    case 'create-key': {
      const tenant = required(values.tenant, 'create-key needs --tenant NAME');
      const permissions = values.scopes === undefined ? undefined : parsePermissions(values.scopes);
      return withStore(config, async (store) => {
        const name = values.name?.trim() || `${tenant}-key`;
        const created = await createApiKey(store.db, { tenant, name, permissions }, isoNow(systemClock));
        console.log(`Created API key "${created.name}" (${created.permissions.join(', ')}) for tenant "${tenant}". It is shown only this once:`);
        console.log(created.key);
      });
    }
    case 'rotate-key': {
      const tenant = required(values.tenant, 'rotate-key needs --tenant NAME');
      const name = required(values.name, 'rotate-key needs --name KEY');
      return withStore(config, async (store) => {
        const created = await rotateApiKey(store.db, { tenant, name }, isoNow(systemClock));
        console.log(`Rotated API key "${name}" of tenant "${tenant}": the old key no longer works. The new key is shown only this once:`);
        console.log(created.key);
      });
    }
    case 'revoke-key': {
      const tenant = required(values.tenant, 'revoke-key needs --tenant NAME');
      const name = required(values.name, 'revoke-key needs --name KEY');
      return withStore(config, async (store) => {
        const revoked = await revokeApiKeys(store.db, { tenant, name }, isoNow(systemClock));
        if (revoked === 0) throw new UsageError(`tenant "${tenant}" has no active key named "${name}"`);
        console.log(`Revoked ${revoked} key(s) named "${name}" of tenant "${tenant}".`);
      });
    }
    case 'doctor':
      return withStore(config, async (store) => {
        const report = await diagnose(store);
        console.log(`integrity: ${report.integrity.length === 0 ? 'ok' : report.integrity.join('; ')}`);
        console.log(`foreign keys: ${report.foreignKeys.length === 0 ? 'ok' : report.foreignKeys.join('; ')}`);
        console.log(`erasures queued: ${report.pendingErasures}`);
        if (!report.healthy) process.exitCode = 1;
      });
    case 'verify-audit':
      return withStore(config, async (store) => {
        const tenant = values.tenant === undefined ? undefined : required(values.tenant, 'verify-audit --tenant needs a NAME');
        const report = await verifyAuditLog(store.db, tenant);
        // 1 means a break was found: a check that could not run must not look like one.
        if (!report) throw new UsageError(`there is no tenant named "${tenant}"`, 2);
        for (const found of report.breaks) console.log(describeBreak(found));
        console.log(summary(report));
        if (report.breaks.length > 0) process.exitCode = 1;
      });
    case 'retention':
      return withStore(config, async (store) => {
        const logger = createLogger(config.logLevel);
        const deps = await createDeps(config, store, { logger, sealTimer: false });
        try {
          const dryRun = values['dry-run'];
          const outcomes = await runAllRetention(deps, { dryRun });
          if (!outcomes) throw new UsageError('a retention run is already under way (a server or another command); try again when it ends');
          if (outcomes.size === 0) console.log('No tenant has a retention policy; nothing to do.');
          for (const [tenantId, o] of outcomes) {
            const verb = dryRun ? 'would erase' : 'erased';
            console.log(`tenant ${tenantId}: ${verb} ${o.erasedChatCount} chat(s) with ${o.erasedMessageCount} message(s); ${o.heldChatCount} kept by a legal hold`);
          }
          // Copies elsewhere get a first attempt here; what fails is retried by the server.
          await deps.outbox.idle();
        } finally {
          await closeDeps(deps, logger);
        }
      });
    case 'hold': {
      const tenant = required(values.tenant, 'hold needs --tenant NAME');
      return withStore(config, async (store) => {
        const { scope, target, reason, id, active } = values;
        for (const line of await runHoldCommand(store, { action: positionals[1], tenant, scope, target, reason, id, active })) console.log(line);
      });
    }
    case 'retention-policy': {
      const tenant = required(values.tenant, 'retention-policy needs --tenant NAME');
      return withStore(config, async (store) => {
        const args = { action: positionals[1], tenant, flow: values.flow, maxAgeDays: values['max-age-days'], id: values.id };
        for (const line of await runPolicyCommand(store, args)) console.log(line);
      });
    }
    case 'export': {
      const chatId = required(positionals[1], 'export needs a CHAT_ID: chat-gateway export CHAT_ID --tenant NAME');
      const tenant = required(values.tenant, 'export needs --tenant NAME, the tenant the chat belongs to');
      return withStore(config, async (store) => {
        const scope = await operatorScope(store.db, tenant, ['read']);
        if (!scope) throw new UsageError(`there is no tenant named "${tenant}"`, 2);
        const { records } = await openChatExport({ store, clock: systemClock }, scope, chatId);
        await writeChunks(process.stdout, ndjsonChunks(records));
      });
    }
    case 'purge':
      return withStore(config, async (store) => {
        const settings = settingsOf(config);
        // Copies elsewhere get a first attempt here; what fails is retried by the server.
        const outbox = createOutbox(store, systemClock, settings, createLogger(config.logLevel), () => {});
        const deps = { store, clock: systemClock, deletions: ignoreDeletions, settings, outbox };
        const total = await countPurgeable(deps);
        const bar = progressBar('purging');
        const { purged, held } = await purgeExpiredThreads(deps, (n) => bar.update(n, Math.max(total, n)));
        bar.finish(purged, Math.max(total, purged));
        await outbox.idle();
        await outbox.close();
        console.log(`Purged ${purged} expired soft-deleted thread(s).`);
        if (held > 0) console.log(`Kept ${held} expired thread(s) under legal hold; they are purged once released.`);
      });
  }
}

class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

function unknownCommand(name: string): never {
  throw new UsageError(`unknown command "${name}"; see chat-gateway help`);
}

function required(value: string | undefined, message: string): string {
  const trimmed = value?.trim();
  if (!trimmed) throw new UsageError(message);
  return trimmed;
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof UsageError || error instanceof ValidationError || error instanceof NotFoundError)
    console.error(`chat-gateway: ${error.message}`);
  else if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    console.error(`chat-gateway: ${error.message}`);
  else console.error(error);
  process.exit(error instanceof UsageError ? error.exitCode : 1);
});
