#!/usr/bin/env node
// Enforces the package boundaries of the design (shared/design.md, "Packages"):
// each package may import only the workspace packages listed for it, only llm-openai
// may import `openai`, and the workspace dependency graph has no cycles.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const allowed = {
  pdata: [],
  otlp: ['pdata'],
  component: ['pdata'],
  'receiver-otlp': ['component', 'otlp', 'pdata'],
  'exporter-otlp': ['component', 'otlp', 'pdata'],
  genai: ['pdata'],
  classifier: [],
  'llm-openai': ['classifier'],
  'processor-semantic': ['component', 'pdata', 'genai', 'classifier'],
  'processor-memory-limiter': ['component', 'pdata'],
  'processor-durable-queue': ['component', 'pdata', 'otlp'],
  service: [
    'pdata',
    'otlp',
    'component',
    'receiver-otlp',
    'exporter-otlp',
    'genai',
    'classifier',
    'llm-openai',
    'processor-semantic',
    'processor-memory-limiter',
    'processor-durable-queue',
    'shared-state-redis',
  ],
  testing: ['component', 'otlp', 'pdata', 'classifier'],
  'shared-state-redis': [],
};
const onlyImporters = { openai: ['llm-openai'] };

const root = new URL('..', import.meta.url).pathname;
const problems = [];

function sourceFiles(directory) {
  const files = [];
  for (const entry of readdirSync(directory)) {
    const path = join(directory, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry) && !entry.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

const importPattern =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

const packageNames = readdirSync(join(root, 'packages'));
for (const name of packageNames) {
  if (!(name in allowed)) {
    problems.push(`packages/${name}: not in the boundary table of scripts/check-boundaries.mjs`);
    continue;
  }
  const manifest = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
  const declared = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies });
  for (const dependency of declared) {
    if (dependency.startsWith('@semtel/')) {
      const target = dependency.slice('@semtel/'.length);
      if (!allowed[name].includes(target))
        problems.push(`packages/${name}/package.json: may not depend on ${dependency}`);
    }
    if (onlyImporters[dependency] && !onlyImporters[dependency].includes(name)) {
      problems.push(
        `packages/${name}/package.json: only ${onlyImporters[dependency].join(', ')} may depend on ${dependency}`,
      );
    }
  }
  for (const file of sourceFiles(join(root, 'packages', name, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      const relative = file.slice(root.length);
      if (specifier.startsWith('@semtel/')) {
        const target = specifier.slice('@semtel/'.length).split('/')[0];
        if (target !== name && !allowed[name].includes(target))
          problems.push(`${relative}: may not import ${specifier}`);
      }
      const bare = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
      if (onlyImporters[bare] && !onlyImporters[bare].includes(name))
        problems.push(`${relative}: only llm-openai may import ${bare}`);
      if (specifier.startsWith('../') && specifier.split('/').filter((part) => part === '..').length > 1) {
        const resolved = join(file, '..', specifier);
        if (!resolved.startsWith(join(root, 'packages', name)))
          problems.push(`${relative}: reaches into another package with ${specifier}`);
      }
    }
  }
}

// The table itself must be acyclic, so a dependency cycle cannot hide behind it.
const visiting = new Set();
const done = new Set();
function visit(name, path) {
  if (done.has(name)) return;
  if (visiting.has(name)) {
    problems.push(`dependency cycle: ${[...path, name].join(' -> ')}`);
    return;
  }
  visiting.add(name);
  for (const next of allowed[name] ?? []) visit(next, [...path, name]);
  visiting.delete(name);
  done.add(name);
}
for (const name of Object.keys(allowed)) visit(name, []);

if (problems.length > 0) {
  console.error(`Package boundary check failed (${problems.length}):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`Package boundaries hold for ${packageNames.length} packages.`);
