interface Slot {
  running: Promise<void>;
  queued?: Promise<void>;
}

/**
 * Runs `work` for a key so that calls coalesce instead of piling up: at most one run per
 * key at a time and one more queued behind it. Every call is answered by a run that starts
 * after the call (a run already under way may have looked before the caller's write
 * committed), and every call made while a run waits to start shares it.
 */
export class Coalesced<K> {
  private readonly slots = new Map<K, Slot>();

  constructor(private readonly work: (key: K) => Promise<void>) {}

  run(key: K): Promise<void> {
    const slot = this.slots.get(key);
    if (!slot) return this.begin(key);
    const next = () => this.begin(key);
    slot.queued ??= slot.running.then(next, next);
    return slot.queued;
  }

  /** Settles once every run started or queued so far has, whatever their outcome. */
  async idle(): Promise<void> {
    while (this.slots.size > 0) await Promise.allSettled([...this.slots.values()].map((s) => s.queued ?? s.running));
  }

  private begin(key: K): Promise<void> {
    const running: Promise<void> = this.work(key).finally(() => {
      const slot = this.slots.get(key);
      if (slot?.running === running && !slot.queued) this.slots.delete(key);
    });
    this.slots.set(key, { running });
    return running;
  }
}
