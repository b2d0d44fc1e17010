import type { Plugin } from 'graphql-yoga';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataStore } from '../data/data-store.ts';
import { erasureBacklog } from '../domain/doctor.ts';
import type { DeletedKind, DeletionObserver } from '../domain/deletion-observer.ts';
import type { DeliveryOutcome } from '../domain/erasure-outbox.ts';
import { outboxBacklog } from '../data/outbox.repository.ts';
import { useGraphqlMetrics } from './graphql-metrics.ts';

/**
 * Prometheus metrics at /metrics: GraphQL requests' HTTP durations by operation, and errors, by phase,
 * the process's, rows deleted by kind, erasures legal holds refused, the erasure queue's length and lag, the outbox of
 * copies to erase elsewhere (pending, oldest, attempts by outcome), and retention runs. Each app
 * has its own registry, so several apps in one process (tests) do not collide.
 */
export function createMetrics(store: DataStore): {
  plugin: Plugin;
  deleted: DeletionObserver['deleted'];
  held: DeletionObserver['held'];
  delivered: (outcome: DeliveryOutcome) => void;
  retained: DeletionObserver['retained'];
  registry: Registry;
} {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const deleted = new Counter({
    name: 'chat_gateway_deleted_rows_total',
    help: 'Rows removed by committed deletes, by kind (thread_soft: soft-deleted threads)',
    labelNames: ['kind'],
    registers: [registry],
  });
  const held = new Counter({
    name: 'chat_gateway_legal_hold_refusals_total',
    help: 'Deletes refused with LEGAL_HOLD, by what they would have erased (chat, thread, selection, stream)',
    labelNames: ['erasure'],
    registers: [registry],
  });
  new Gauge({
    name: 'chat_gateway_erasure_queue_jobs',
    help: 'Large erasures queued or in progress',
    registers: [registry],
    async collect() {
      this.set((await erasureBacklog(store)).jobs);
    },
  });
  new Gauge({
    name: 'chat_gateway_erasure_lag_seconds',
    help: 'Age of the oldest queued erasure (0 when the queue is empty)',
    registers: [registry],
    async collect() {
      const { oldest } = await erasureBacklog(store);
      this.set(oldest === null ? 0 : Math.max(0, (Date.now() - Date.parse(oldest)) / 1000));
    },
  });
  const deliveries = new Counter({
    name: 'chat_gateway_erasure_deliveries_total',
    help: 'Attempts to erase a copy at an erasure target, by outcome (delivered, retry: failed and retried later, failed: given up at its deadline)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  new Gauge({
    name: 'chat_gateway_erasure_outbox_pending',
    help: 'Copies at erasure targets not yet confirmed erased nor given up',
    registers: [registry],
    async collect() {
      this.set((await outboxBacklog(store.db)).pending);
    },
  });
  new Gauge({
    name: 'chat_gateway_erasure_outbox_oldest_seconds',
    help: 'Age of the oldest copy still to erase (0 when none is pending)',
    registers: [registry],
    async collect() {
      const { oldest } = await outboxBacklog(store.db);
      this.set(oldest === null ? 0 : Math.max(0, (Date.now() - Date.parse(oldest)) / 1000));
    },
  });
  const retentionRuns = new Counter({
    name: 'chat_gateway_retention_runs_total',
    help: "Retention runs, one per tenant with policies in each run (dry runs apart: dry_run=\"true\")",
    labelNames: ['dry_run'],
    registers: [registry],
  });
  const retentionChats = new Counter({
    name: 'chat_gateway_retention_chats_total',
    help: 'Chats past their retention age, by outcome (erased, held: kept by a legal hold); dry runs not counted',
    labelNames: ['outcome'],
    registers: [registry],
  });
  return {
    registry,
    retained: (notice) => {
      retentionRuns.inc({ dry_run: String(notice.dryRun) });
      if (notice.dryRun) return;
      if (notice.erasedChatCount > 0) retentionChats.inc({ outcome: 'erased' }, notice.erasedChatCount);
      if (notice.heldChatCount > 0) retentionChats.inc({ outcome: 'held' }, notice.heldChatCount);
    },
    delivered: (outcome: DeliveryOutcome) => deliveries.inc({ outcome }),
    held: (erasure) => held.inc({ erasure }),
    deleted: (kind: DeletedKind, rows: number) => {
      if (rows > 0) deleted.inc({ kind }, rows);
    },
    plugin: useGraphqlMetrics(registry, '/metrics'),
  };
}
