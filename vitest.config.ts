import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  resolve: {
    // The package's names are its sources here, as tsconfig.json's paths say: a model
    // and the checker a test runs share one copy of the modelling language.
    alias: [
      { find: /^mmrace$/, replacement: `${src}index.ts` },
      { find: /^mmrace\/([a-z]+)$/, replacement: `${src}$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env['CI'] ? ['default'] : ['default'],
  },
});
