import type { ErasureTargetKind } from '../data/tables.ts';
import type { CopyErasers } from '../domain/copy-erasure.ts';
import { RedisEraser } from './redis-eraser.ts';
import { WebhookEraser } from './webhook-eraser.ts';

/** The erasers of every target kind, behind one CopyErasers; one per process. */
export function createCopyErasers(options: { now: () => Date; webhookTimeoutMs?: number }): CopyErasers {
  // A Record, so that a new target kind does not compile until it has an eraser.
  const byKind: Record<ErasureTargetKind, CopyErasers> = {
    REDIS: new RedisEraser(),
    WEBHOOK: new WebhookEraser({ now: options.now, timeoutMs: options.webhookTimeoutMs }),
  };
  return {
    erase: (target, event) => byKind[target.kind].erase(target, event),
    close: async () => {
      await Promise.all(Object.values(byKind).map((eraser) => eraser.close()));
    },
  };
}
