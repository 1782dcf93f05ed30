#!/usr/bin/env node
// Runs every benchmark in test/bench in turn (`pnpm bench`); arguments are passed through.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const directory = fileURLToPath(new URL('.', import.meta.url));
const benches = readdirSync(directory)
  .filter((name) => name.endsWith('.bench.mjs'))
  .sort();
let failed = false;
for (const name of benches) {
  const result = spawnSync(process.execPath, [`${directory}${name}`, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
