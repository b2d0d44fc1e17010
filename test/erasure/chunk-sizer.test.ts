import { describe, expect, it } from 'vitest';
import { ChunkSizer } from '../../src/domain/chunk-sizer.ts';

// The sizer learns from the CPU a chunk takes; here a hand-moved CPU clock stands for it,
// so the sizes it picks are exact. (The real clock is process.cpuUsage.)
function sizerOver(costMs: (size: number) => number, first?: number, least?: number) {
  let cpuMicros = 0;
  const sizer = new ChunkSizer(first, least, () => cpuMicros);
  const asked: number[] = [];
  const run = async () =>
    sizer.time(async (size) => {
      asked.push(size);
      cpuMicros += costMs(size) * 1000;
      return size;
    });
  return { run, asked };
}

describe('erasure chunk sizes', () => {
  it('settle where a chunk takes about 10 ms of CPU', async () => {
    const { run, asked } = sizerOver((rows) => rows * 0.02); // 0.02 ms a row: 500 rows fit
    for (let i = 0; i < 30; i++) await run();
    expect(asked[0]).toBe(250);
    expect(asked.at(-1)).toBeGreaterThanOrEqual(490);
    expect(asked.at(-1)).toBeLessThanOrEqual(510);
  });

  it('never go below the floor, however much a chunk costs: each commit still erases a worthwhile chunk', async () => {
    // A fixed 30 ms per chunk, whatever its size: shrinking cannot help, and without a
    // floor the size would fall towards one row a commit.
    const { run, asked } = sizerOver(() => 30);
    for (let i = 0; i < 30; i++) await run();
    expect(Math.min(...asked)).toBe(100);
    expect(asked.at(-1)).toBe(100);
  });

  it('grow at most twofold a chunk, up to 4,000, when chunks cost next to nothing', async () => {
    const { run, asked } = sizerOver(() => 0);
    for (let i = 0; i < 10; i++) await run();
    expect(asked.slice(0, 6)).toEqual([250, 500, 1000, 2000, 4000, 4000]);
  });

  it('take a floor of their own for units bigger than rows (whole threads)', async () => {
    const { run, asked } = sizerOver((threads) => threads * 40, 10, 1);
    for (let i = 0; i < 10; i++) await run();
    expect(asked.at(-1)).toBe(1);
  });
});
