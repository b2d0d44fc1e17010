/** Microseconds of CPU this process has used (user and system). */
export type CpuClock = () => number;

const processCpu: CpuClock = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/**
 * Sizes erasure chunks by the CPU they take rather than by rows: the cost of a row varies
 * with its indexes and the cache, and a chunk's CPU is what blocks the event loop (SQLite
 * runs it synchronously). Wall time would not do: waiting for a busy CPU or for the
 * engine's commit grows with load, not with the chunk, so sizing by it shrank chunks
 * under load until a 50,000-message erasure took minutes, a few rows a commit. Bigger
 * chunks mean fewer commits; the target keeps every block short, and the floor keeps a
 * chunk worth its commit when the measure is swollen by other work (PostgreSQL's chunks
 * wait while the process serves other requests).
 */
export class ChunkSizer {
  private size: number;

  private readonly targetMs = 10;
  private readonly max = 4000;

  /**
   * `first`: the size of the first chunk, in its unit (rows, or threads); `least`: the
   * smallest chunk it will ask for.
   */
  constructor(
    first = 250,
    private readonly least = Math.min(first, 100),
    private readonly cpu: CpuClock = processCpu,
  ) {
    this.size = first;
  }

  /** Runs one chunk of at most `size` units and learns from the CPU it took. */
  async time(chunk: (size: number) => Promise<number>): Promise<number> {
    const asked = this.size;
    const started = this.cpu();
    const done = await chunk(asked);
    const ms = Math.max(0.1, (this.cpu() - started) / 1000);
    if (done > 0) {
      // The size is in the chunk's own unit (rows, or threads), so it scales by cost alone.
      const fits = (this.targetMs / ms) * asked;
      // Half-way towards what fits, and at most twice the last, so one slow chunk or one
      // cheap one does not swing the size.
      const next = Math.min((this.size + fits) / 2, 2 * this.size);
      this.size = Math.round(Math.min(this.max, Math.max(this.least, next)));
    }
    return done;
  }
}
