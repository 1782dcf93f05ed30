import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDirectory = fileURLToPath(new URL('./packages/', import.meta.url));

// Tests run against the TypeScript sources, so a change is tested without a rebuild.
const alias = Object.fromEntries(
  readdirSync(packagesDirectory).map((name) => [`@semtel/${name}`, `${packagesDirectory}${name}/src/index.ts`]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: end-to-end files start servers and child processes, so keep parallelism modest.
    maxWorkers: 2,
  },
});
