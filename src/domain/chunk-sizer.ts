import { performance } from 'node:perf_hooks';

/**
 * Sizes erasure chunks by time rather than rows: each chunk is one synchronous block of the
 * event loop (statement and commit), and the cost of a row varies with its indexes, the
 * disk and the cache. Bigger chunks mean fewer commits; the target keeps every block short.
 */
export class ChunkSizer {
  private size: number;

  private readonly targetMs = 10;
  private readonly max = 4000;

  /** `first`: the size of the first chunk, in its unit (rows, or threads). */
  constructor(first = 250) {
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
    if (done > 0) {
      // The size is in the chunk's own unit (rows, or threads), so it scales by time alone.
      const fits = (this.targetMs / ms) * asked;
      // Half-way towards what fits, so one slow fsync does not swing the size.
      this.size = Math.round(Math.min(this.max, Math.max(1, (this.size + fits) / 2)));
    }
    return done;
  }
}
