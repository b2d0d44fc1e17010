import type { StreamRow } from '../data/tables.ts';
import type { StreamEvent } from '../live/events.ts';
import type { Deps } from './deps.ts';
import { deletedEvent } from './stream-events.ts';

/** A stream that a delete cancelled or removed, with what its subscribers must hear. */
export interface EndedStream {
  stream: StreamRow;
  cancelled?: StreamEvent;
  /** Last stored seq when the stream was removed; undefined when it stays (soft delete). */
  removedAfterSeq?: number;
}

/**
 * After a delete has committed: stop the generators it cancelled and tell each stream's
 * subscribers, in one batch, that it was cancelled and/or deleted.
 */
export function endStreams(deps: Deps, ended: readonly EndedStream[], at: string): void {
  for (const { stream, cancelled, removedAfterSeq } of ended) {
    if (cancelled) deps.live.cancelTask(stream.id);
    const events: StreamEvent[] = cancelled ? [cancelled] : [];
    if (removedAfterSeq !== undefined) events.push(deletedEvent(stream.id, cancelled, removedAfterSeq, at));
    deps.live.publishStreamEvents(stream.id, events);
  }
}
