import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

// Tests that measure event-loop stalls and latency run alone, after the main suite:
// beside other test files on two cores they would measure the neighbours, not us.
export default defineConfig({
  resolve: base.resolve,
  test: {
    include: ['test/**/*.timing.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
