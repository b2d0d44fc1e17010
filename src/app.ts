import type { Config } from './config/config.ts';
import { migrateToLatest } from './data/migrate.ts';
import { createCopyErasers } from './copies/copy-erasers.ts';
import type { DataStore, QueryObserver } from './data/data-store.ts';
import { openDatabase } from './data/open-database.ts';
import { AuditChain } from './domain/audit-chain.ts';
import { type Clock, systemClock } from './domain/clock.ts';
import type { Deps } from './domain/deps.ts';
import { foreignKeysAtStartup } from './domain/doctor.ts';
import { ErasureJobs } from './domain/erasure-jobs.ts';
import { type DeliveryOutcome, ErasureOutbox } from './domain/erasure-outbox.ts';
import type { Settings } from './domain/settings.ts';
import { purgeExpiredIdempotencyKeys } from './domain/idempotency.ts';
import { purgeExpiredThreads } from './domain/purge.ts';
import { runAllRetention } from './domain/retention.ts';
import { endActiveStreams } from './domain/streams.ts';
import type { TokenSource } from './domain/token-sources.ts';
import { echoTokens } from './generators/echo-tokens.ts';
import { openAiTokens } from './generators/openai-tokens.ts';
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

/** How often each process looks for deliveries that fell due (retries, another replica's, a crashed one's). */
const OUTBOX_POLL_MS = 1000;

/** The settings the domain reads, from the configuration. */
export function settingsOf(config: Config): Settings {
  return {
    restoreWindowMs: config.restoreWindowMs,
    tokenIntervalMs: config.tokenIntervalMs,
    idempotencyTtlMs: config.idempotencyTtlMs,
    idempotencyLeaseMs: config.idempotencyLeaseMs,
    erasureTargetHosts: config.erasureTargetHosts,
    erasureRetryMaxMs: config.erasureRetryMaxMs,
    erasureRetryMs: config.erasureRetryMs,
  };
}

/** The worker delivering erasure events to the copies elsewhere; each attempt is counted and logged with its receipt. */
export function createOutbox(store: DataStore, clock: Clock, settings: Settings, logger: Logger, delivered: (outcome: DeliveryOutcome) => void): ErasureOutbox {
  const erasers = createCopyErasers({ now: () => clock.now() });
  return new ErasureOutbox(store, clock, erasers, settings, {
    attempted(outcome, delivery) {
      delivered(outcome);
      const fields = { receiptId: delivery.receiptId, deliveryId: delivery.id, targetId: delivery.targetId, target: delivery.target, attempts: delivery.attempts, error: delivery.error };
      if (outcome === 'delivered') logger.info(fields, 'copy erased at erasure target');
      else if (outcome === 'retry') logger.warn(fields, 'erasure target did not confirm; retrying with backoff');
      else logger.error(fields, 'erasure target never confirmed before the deadline; copy FAILED');
    },
  });
}

/**
 * The domain's dependencies on an open, migrated store: for the server, and for CLI
 * commands that erase as it does. `metrics` counts what they do (the server's); without,
 * only logs tell.
 */
export async function createDeps(
  config: Config,
  store: DataStore,
  options: { clock?: Clock | undefined; logger: Logger; metrics?: ReturnType<typeof createMetrics>; sealTimer: boolean },
): Promise<Deps & { live: LiveHub }> {
  const { logger, metrics } = options;
  const live = config.redisUrl ? await redisLiveHub(config.redisUrl, config.liveConnectionTtlMs) : new LiveHub();
  const clock = options.clock ?? systemClock;
  const settings = settingsOf(config);
  return {
    store,
    live,
    erasureJobs: new ErasureJobs(store, clock),
    outbox: createOutbox(store, clock, settings, logger, metrics?.delivered ?? (() => {})),
    deletions: {
      deleted: metrics?.deleted ?? (() => {}),
      held: metrics?.held ?? (() => {}),
      receipted: (notice) => logger.info(notice, 'erasure receipt'),
      retained: (notice) => {
        metrics?.retained(notice);
        logger.info(notice, 'retention run');
      },
    },
    auditChain: new AuditChain(store, options.sealTimer ? config.auditSealIntervalMs : undefined),
    clock,
    settings,
  };
}

/** Stops what `createDeps` started: queued work is left for the next process, sealed what can be. */
export async function closeDeps(deps: Deps & { live: LiveHub }, logger: Logger): Promise<void> {
  await deps.live.close();
  await deps.erasureJobs.close();
  await deps.outbox.close();
  await deps.auditChain.close().catch((error: unknown) => logger.error({ err: error }, 'could not seal the audit log at shutdown'));
}

/** The composition root: opens the database, migrates it and wires every layer. */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const store = openDatabase(config.databaseUrl, { onQuery: options.onQuery, keyCacheMs: config.apiKeyCacheMs });
  await migrateToLatest(store);
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics(store);
  const deps = await createDeps(config, store, { clock: options.clock, logger, metrics, sealTimer: options.sealTimer !== false });
  const { live } = deps;
  const broken = await foreignKeysAtStartup(store);
  if (broken.length > 0) {
    console.error(`database has ${broken.length} broken foreign key(s); run chat-gateway doctor:\n  ${broken.slice(0, 10).join('\n  ')}`);
  }
  await endActiveStreams(deps, 'FAILED', 'the server restarted while the stream was active');
  // Large erasures a previous process left half-done go on from where they stopped, and
  // copies left to erase elsewhere are delivered.
  deps.erasureJobs.kick();
  deps.outbox.start(OUTBOX_POLL_MS);
  const gateway = createGateway({
    deps,
    tokens: options.tokens ?? (config.llm ? openAiTokens(config.llm) : echoTokens(config.tokenIntervalMs)),
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
  const retention = new AbortController();
  let retaining: Promise<unknown> | undefined;
  const retentionTimer =
    config.retentionIntervalMs === 0
      ? undefined
      : setInterval(() => {
          // One run at a time here; the lease keeps replicas to one at a time too.
          retaining ??= runAllRetention(deps, { dryRun: false, signal: retention.signal })
            .catch((error: unknown) => logger.error({ err: error }, 'retention run failed; it runs again at the next interval'))
            .finally(() => (retaining = undefined));
        }, config.retentionIntervalMs).unref();
  let closing: Promise<void> | undefined;
  /** Stops generators, ends their streams as CANCELLED, completes subscriptions, closes the database. */
  const shutDown = async () => {
    clearInterval(timer);
    clearInterval(retentionTimer);
    retention.abort();
    await retaining;
    await live.stopTasks();
    // A database that is already gone must not keep the rest from shutting down.
    await endActiveStreams(deps, 'CANCELLED', 'the server shut down').catch((error: unknown) =>
      logger.error({ err: error }, 'could not mark active streams cancelled at shutdown'),
    );
    await closeDeps(deps, logger);
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
