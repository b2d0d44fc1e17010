import { performance } from 'node:perf_hooks';

/**
 * Sizes erasure chunks by time rather than rows: each chunk is one synchronous block of the
 * event loop (statement and commit), and the cost of a row varies with its indexes, the
 * disk and the cache. Bigger chunks mean fewer commits; the target keeps every block short.
 */
export class ChunkSizer {
  private size: number;

  constructor(
    private readonly targetMs = 10,
    private readonly min = 100,
    private readonly max = 4000,
    first = 250,
  ) {
    this.size = first;
  }

  get rows(): number {
    return this.size;
  }

  /** Runs one chunk of at most `rows` rows and learns from how long it took. */
  async time(chunk: (rows: number) => Promise<number>): Promise<number> {
    const asked = this.size;
    const started = performance.now();
    const done = await chunk(asked);
    const ms = performance.now() - started;
    // A short last chunk says little about the cost of a full one.
    if (done === asked && done > 0) {
      const fits = (this.targetMs / ms) * done;
      // Half-way towards what fits, so one slow fsync does not swing the size.
      this.size = Math.round(Math.min(this.max, Math.max(this.min, (this.size + fits) / 2)));
    }
    return done;
  }
}
