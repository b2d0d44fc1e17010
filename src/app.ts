import type { Config } from './config/config.ts';
import { migrateToLatest } from './data/migrate.ts';
import type { QueryObserver } from './data/data-store.ts';
import { openDatabase } from './data/open-database.ts';
import { AuditChain } from './domain/audit-chain.ts';
import { type Clock, systemClock } from './domain/clock.ts';
import type { Deps } from './domain/deps.ts';
import { foreignKeysAtStartup } from './domain/doctor.ts';
import { ErasureJobs } from './domain/erasure-jobs.ts';
import { purgeExpiredIdempotencyKeys } from './domain/idempotency.ts';
import { purgeExpiredThreads } from './domain/purge.ts';
import { endActiveStreams } from './domain/streams.ts';
import { type TokenSource, echoTokens } from './domain/token-sources.ts';
import { type Gateway, createGateway } from './http/yoga.ts';
import { LiveHub } from './live/live-hub.ts';
import { type Logger, createLogger } from './observability/logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { redisLiveHub } from './live/redis-live-hub.ts';

export interface App {
  gateway: Gateway;
  deps: Deps;
  live: LiveHub;
  close(): Promise<void>;
}

export interface AppOptions {
  clock?: Clock;
  tokens?: TokenSource;
  demoKey?: string;
  /** Runs the purge of expired soft deletes on a timer (off in tests, which call it). */
  purgeTimer?: boolean;
  /**
   * Seals new audit entries every AUDIT_SEAL_INTERVAL_MS (off in tests, where a sealing at
   * any moment would upset statement counts; reads and closing the app still seal).
   */
  sealTimer?: boolean;
  /** Sees every SQL statement (query counting in tests and benchmarks). */
  onQuery?: QueryObserver;
  logger?: Logger;
}

/** The composition root: opens the database, migrates it and wires every layer. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const store = openDatabase(config.databaseUrl, { onQuery: options.onQuery, keyCacheMs: config.apiKeyCacheMs });
  await migrateToLatest(store);
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics(store);
  const live = config.redisUrl ? await redisLiveHub(config.redisUrl, config.liveConnectionTtlMs) : new LiveHub();
  const deps: Deps = {
    store,
    live,
    erasureJobs: new ErasureJobs(store, options.clock ?? systemClock),
    deletions: metrics.deletions,
    auditChain: new AuditChain(store, options.sealTimer === false ? undefined : config.auditSealIntervalMs),
    clock: options.clock ?? systemClock,
    settings: {
      restoreWindowMs: config.restoreWindowMs,
      tokenIntervalMs: config.tokenIntervalMs,
      idempotencyTtlMs: config.idempotencyTtlMs,
      idempotencyLeaseMs: config.idempotencyLeaseMs,
    },
  };
  const broken = await foreignKeysAtStartup(store);
  if (broken.length > 0) {
    console.error(`database has ${broken.length} broken foreign key(s); run chat-gateway doctor:\n  ${broken.slice(0, 10).join('\n  ')}`);
  }
  await endActiveStreams(deps, 'FAILED', 'the server restarted while the stream was active');
  // Large erasures a previous process left half-done go on from where they stopped.
  deps.erasureJobs.kick();
  const gateway = createGateway({
    deps,
    tokens: options.tokens ?? echoTokens(config.tokenIntervalMs),
    limits: config.limits,
    metrics: metrics.plugin,
    logger,
    demoKey: options.demoKey,
  });
  const timer =
    options.purgeTimer === false
      ? undefined
      : setInterval(() => {
          Promise.all([purgeExpiredThreads(deps), purgeExpiredIdempotencyKeys(deps), deps.erasureJobs.forgetFinished()]).catch((error: unknown) =>
            console.error('purge failed', error),
          );
        }, config.purgeIntervalMs).unref();
  let closing: Promise<void> | undefined;
  /** Stops generators, ends their streams as CANCELLED, completes subscriptions, closes the database. */
  const shutDown = async () => {
    clearInterval(timer);
    await live.stopTasks();
    // A database that is already gone must not keep the rest from shutting down.
    await endActiveStreams(deps, 'CANCELLED', 'the server shut down').catch((error: unknown) =>
      logger.error({ err: error }, 'could not mark active streams cancelled at shutdown'),
    );
    await live.close();
    await deps.erasureJobs.close();
    await deps.auditChain.close().catch((error: unknown) => logger.error({ err: error }, 'could not seal the audit log at shutdown'));
    await store.close();
  };
  return {
    gateway,
    deps,
    live,
    close() {
      closing ??= shutDown();
      return closing;
    },
  };
}
