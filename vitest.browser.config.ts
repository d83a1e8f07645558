import { defineConfig } from 'vitest/config';

/**
 * The real-browser tests (`npm run test:browser`): they drive Debian's chromium, so they
 * are slow and need it installed; `npm test` leaves them out (its config includes only
 * *.test.ts). One file at a time: a browser is heavy on the two cores of CI.
 */
export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
