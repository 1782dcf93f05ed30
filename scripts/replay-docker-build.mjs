#!/usr/bin/env node
// Replays the Dockerfile outside Docker, for machines without a Docker engine (CI has only the
// client), so that a change that breaks `docker build` shows up anyway:
//
//   node scripts/replay-docker-build.mjs            # about a minute: fetch, install, compile, deploy, run
//   node scripts/replay-docker-build.mjs --dry-run  # parse only: print the steps it would take
//   node scripts/replay-docker-build.mjs --keep     # keep the replayed image tree (its path is printed)
//
// The build stage's steps run as written: its COPY instructions copy the build context as
// .dockerignore leaves it, its ENV and ARG values are set, its RUN commands run in /bin/sh with
// the image's own absolute paths (/src, /out) moved under a temporary root, and HOME is an empty
// directory, as in a fresh image (so pnpm finds no registry metadata it did not fetch itself).
// Only the package store is shared with this machine, to save the downloads: it is content
// addressed, so what `pnpm fetch` would download is what it finds. The runtime stage's RUN
// commands write to system paths (/usr/local/bin, chown), so instead of running them the replay
// checks the result the image would have: the runtime COPY instructions are applied, no compiled
// test is shipped, `semtel validate` accepts the baked-in config, and the deployed service starts
// on loopback ports with the image's environment, passes the image's HEALTHCHECK command and stops
// cleanly on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: options } = parseArgs({
  options: { 'dry-run': { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } },
});

/** Instructions with their continuation lines joined; comments and blank lines dropped. */
function parseDockerfile(text) {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const globalArgs = {};
  const stages = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [, keyword, rest] = /^(\S+)\s*(.*)$/.exec(line);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.replace(/\s+/g, ' ').trim() };
    if (instruction.keyword === 'FROM') {
      const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      stages.push({ image, name, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') Object.assign(globalArgs, parseAssignments(instruction.args));
    } else {
      stages.at(-1).instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** `A=1 B="two words"` (ENV, ARG); a bare `NAME` (ARG without a default) maps to undefined. */
function parseAssignments(text) {
  const result = {};
  for (const match of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?:=("(?:[^"\\]|\\.)*"|\S*))?/g)) {
    const value = match[2];
    result[match[1]] = value === undefined ? undefined : value.replace(/^"(.*)"$/, '$1');
  }
  return result;
}

/** .dockerignore patterns as regular expressions over context-relative paths ('/'-separated). */
function parseDockerignore(text) {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((segment) =>
          segment === '**'
            ? '(?:.*)'
            : segment
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
      return { negated, expression: new RegExp(`^${source}$`) };
    });
}

function ignored(path, patterns) {
  let result = false;
  // A pattern that matches a directory excludes everything below it.
  const prefixes = path.split('/').map((_, index, parts) => parts.slice(0, index + 1).join('/'));
  for (const { negated, expression } of patterns) {
    if (prefixes.some((prefix) => expression.test(prefix))) result = !negated;
  }
  return result;
}

/** Every file of the build context, relative and '/'-separated, as Docker would send it. */
function contextFiles(patterns) {
  const files = [];
  const walk = (directory) => {
    for (const entry of readdirSync(join(root, directory), { withFileTypes: true })) {
      const path = directory === '' ? entry.name : `${directory}/${entry.name}`;
      // No pattern here is negated, so an excluded directory can be skipped whole.
      if (ignored(path, patterns) && !patterns.some((pattern) => pattern.negated)) continue;
      if (entry.isDirectory()) walk(path);
      else if (!ignored(path, patterns)) files.push(path);
    }
  };
  walk('');
  return files;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Where the replay builds, once it started: removed on failure too, unless --keep. */
let replayRoot;

function fail(message) {
  console.error(`replay failed: ${message}`);
  if (replayRoot !== undefined) {
    if (options.keep) console.error(`kept ${replayRoot}`);
    else rmSync(replayRoot, { recursive: true, force: true });
  }
  process.exit(1);
}

const dockerfile = parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8'));
const patterns = parseDockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));
const [build, runtime] = dockerfile.stages;
if (dockerfile.stages.length !== 2 || build.name !== 'build') fail('expected a build stage and a runtime stage');

if (options['dry-run']) {
  console.log(JSON.stringify({ globalArgs: dockerfile.globalArgs, stages: dockerfile.stages }, null, 2));
  process.exit(0);
}

replayRoot = mkdtempSync(join(tmpdir(), 'semtel-docker-replay-'));
const imageRoot = join(replayRoot, 'root');
const home = join(replayRoot, 'home');
mkdirSync(home, { recursive: true });
/** A path inside the image, under the replay's root. */
const inImage = (path) => join(imageRoot, path);
/** System directories a RUN may name as they are (the node binary, /tmp, /bin/sh, …). */
const systemDirectories = new Set([
  'bin',
  'dev',
  'etc',
  'lib',
  'lib64',
  'opt',
  'proc',
  'sbin',
  'sys',
  'tmp',
  'usr',
  'var',
]);
const mapImagePaths = (command) =>
  command.replace(/(^|[\s=])(\/[A-Za-z0-9._\-/]+)/g, (whole, before, path) =>
    systemDirectories.has(path.split('/')[1]) ? whole : `${before}${inImage(path)}`,
  );

// The package store is shared: content-addressed, so it holds what fetch would download.
const storeProbe = spawnSync('npx', ['-y', `pnpm@${dockerfile.globalArgs.PNPM_VERSION ?? '10'}`, 'store', 'path'], {
  cwd: root,
  encoding: 'utf8',
});
const storeDirectory = storeProbe.stdout.trim().replace(/[/\\]v\d+$/, '');
if (storeProbe.status !== 0 || storeDirectory === '') fail(`pnpm store path: ${storeProbe.stderr}`);

const context = contextFiles(patterns);
const startedAt = Date.now();
const elapsed = () => `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
console.log(`replaying the Dockerfile in ${replayRoot} (${context.length} files in the build context)`);

function copyFromContext(sources, destination, workdir) {
  const target = destination.startsWith('/') ? inImage(destination) : join(workdir, destination);
  for (const source of sources) {
    const prefix = source === '.' ? '' : source.replace(/\/+$/, '');
    const matching = context.filter((file) => prefix === '' || file === prefix || file.startsWith(`${prefix}/`));
    if (matching.length === 0) fail(`COPY ${source}: not in the build context`);
    for (const file of matching) {
      const single = sources.length === 1 && file === prefix && !destination.endsWith('/');
      const to = single
        ? target
        : join(target, prefix === '' || file === prefix ? relative(dirname(prefix), file) : relative(prefix, file));
      mkdirSync(dirname(to), { recursive: true });
      cpSync(join(root, file.split('/').join(sep)), to);
    }
  }
}

// ---- the build stage, as written ----
const buildEnvironment = {
  ...process.env,
  HOME: home,
  npm_config_cache: join(process.env.HOME ?? home, '.npm'),
  npm_config_store_dir: storeDirectory,
};
delete buildEnvironment.XDG_CACHE_HOME;
delete buildEnvironment.npm_config_cache_dir;
let workdir = inImage('/');
for (const { keyword, args } of build.instructions) {
  if (keyword === 'ARG') {
    for (const [name, value] of Object.entries(parseAssignments(args))) {
      buildEnvironment[name] = value ?? dockerfile.globalArgs[name] ?? '';
    }
  } else if (keyword === 'ENV') {
    Object.assign(buildEnvironment, parseAssignments(args));
  } else if (keyword === 'WORKDIR') {
    workdir = inImage(args);
    mkdirSync(workdir, { recursive: true });
  } else if (keyword === 'COPY') {
    const parts = args.split(' ').filter((part) => !part.startsWith('--'));
    copyFromContext(parts.slice(0, -1), parts.at(-1), workdir);
    console.log(`[${elapsed()}] COPY ${args}`);
  } else if (keyword === 'RUN') {
    console.log(`[${elapsed()}] RUN ${args}`);
    const result = spawnSync('/bin/sh', ['-c', mapImagePaths(args)], {
      cwd: workdir,
      env: buildEnvironment,
      stdio: 'inherit',
    });
    if (result.status !== 0) fail(`RUN ${args} exited with ${result.status ?? result.signal}`);
  } else {
    fail(`the build stage uses ${keyword}, which this replay does not know`);
  }
}

// ---- the runtime stage: what the image would hold, then run it ----
const runtimeEnvironment = {};
let runtimeWorkdir = '/';
let healthcheck;
let entrypoint;
let command;
for (const { keyword, args } of runtime.instructions) {
  if (keyword === 'ENV') Object.assign(runtimeEnvironment, parseAssignments(args));
  else if (keyword === 'WORKDIR') runtimeWorkdir = args;
  else if (keyword === 'HEALTHCHECK') healthcheck = JSON.parse(args.slice(args.indexOf('CMD ') + 4));
  else if (keyword === 'ENTRYPOINT') entrypoint = JSON.parse(args);
  else if (keyword === 'CMD') command = JSON.parse(args);
  else if (keyword === 'COPY') {
    const from = /--from=(\S+)/.exec(args)?.[1];
    const parts = args.split(' ').filter((part) => !part.startsWith('--'));
    if (from === 'build') {
      cpSync(inImage(parts[0]), inImage(parts[1]), { recursive: true });
    } else {
      copyFromContext(parts.slice(0, -1), parts.at(-1), inImage(runtimeWorkdir));
    }
    console.log(`[${elapsed()}] COPY ${args}`);
  } else if (keyword === 'RUN') {
    // System paths: not run here. The launcher it writes must start the deployed CLI.
    const launcher = /exec node (\S+)/.exec(args)?.[1];
    if (launcher !== undefined && !existsSync(inImage(launcher)))
      fail(`the launcher starts ${launcher}, which the image lacks`);
    console.log(`[${elapsed()}] RUN (checked, not run) ${args}`);
  }
}
if (entrypoint?.[0] !== 'semtel' || command === undefined || healthcheck === undefined) {
  fail('expected ENTRYPOINT ["semtel"], a CMD and a HEALTHCHECK in the runtime stage');
}
const cli = inImage('/app/dist/cli.js');
// Compiled tests of semtel's own packages (`*.test.js`, their maps and declarations); what
// third-party packages ship is theirs.
const shippedTests = readdirSync(inImage('/app'), { recursive: true })
  .map(String)
  .filter((path) => /\.test\.(js|d\.ts)(\.map)?$/.test(path))
  .filter((path) => path.startsWith(`dist${sep}`) || path.includes(`${sep}@semtel${sep}`));
if (shippedTests.length > 0) fail(`the image ships compiled tests, such as ${shippedTests[0]}`);

const environment = { ...process.env, HOME: home, ...runtimeEnvironment };
const mapArguments = (values) => values.map((value) => (value.startsWith('/') ? inImage(value) : value));
const validate = spawnSync(process.execPath, [cli, 'validate', inImage('/etc/semtel/config.yaml')], {
  env: environment,
  encoding: 'utf8',
});
if (validate.status !== 0) fail(`semtel validate /etc/semtel/config.yaml: ${validate.stdout}${validate.stderr}`);
console.log(`[${elapsed()}] semtel validate /etc/semtel/config.yaml: ${validate.stdout.trim()}`);

// The baked-in config listens on 0.0.0.0 and fixed ports; the replay uses loopback and free ports.
const bakedConfig = readFileSync(inImage('/etc/semtel/config.yaml'), 'utf8');
const ports = new Map();
for (const match of bakedConfig.matchAll(/0\.0\.0\.0:(\d+)/g)) ports.set(match[1], await freePort());
const loopbackConfig = inImage('/etc/semtel/config.loopback.yaml');
writeFileSync(
  loopbackConfig,
  bakedConfig.replace(/0\.0\.0\.0:(\d+)/g, (_, port) => `127.0.0.1:${ports.get(port)}`),
);
const healthUrl = String(runtimeEnvironment.SEMTEL_HEALTH_URL ?? '').replace(/:(\d+)\//, (whole, port) =>
  ports.has(port) ? `:${ports.get(port)}/` : whole,
);
const runtimeCommand = mapArguments(command).map((value) =>
  value === inImage('/etc/semtel/config.yaml') ? loopbackConfig : value,
);
const workingDirectory = inImage(runtimeWorkdir);
mkdirSync(workingDirectory, { recursive: true });
const service = spawn(process.execPath, [cli, ...runtimeCommand], {
  cwd: workingDirectory,
  env: { ...environment, SEMTEL_HEALTH_URL: healthUrl },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let serviceOutput = '';
service.stdout.on('data', (chunk) => (serviceOutput = (serviceOutput + chunk).slice(-20_000)));
service.stderr.on('data', (chunk) => (serviceOutput = (serviceOutput + chunk).slice(-20_000)));
const exited = new Promise((resolve) => service.once('exit', (code, signal) => resolve(code ?? signal)));
let healthy = false;
for (let attempt = 0; attempt < 60 && !healthy; attempt++) {
  const check = spawnSync(healthcheck[0] === 'node' ? process.execPath : healthcheck[0], healthcheck.slice(1), {
    env: { ...environment, SEMTEL_HEALTH_URL: healthUrl },
    timeout: 5000,
  });
  healthy = check.status === 0;
  if (!healthy) await sleep(500);
}
service.kill('SIGTERM');
const killTimer = setTimeout(() => service.kill('SIGKILL'), 20_000);
const exitCode = await exited;
clearTimeout(killTimer);
if (!healthy) fail(`the HEALTHCHECK command never passed against ${healthUrl}:\n${serviceOutput}`);
console.log(`[${elapsed()}] semtel ${runtimeCommand.join(' ')}: the HEALTHCHECK command passed (${healthUrl})`);
if (exitCode !== 0) fail(`semtel exited with ${exitCode} on SIGTERM:\n${serviceOutput}`);
console.log(`[${elapsed()}] SIGTERM: semtel stopped with exit code 0`);

if (options.keep) console.log(`kept ${replayRoot}`);
else rmSync(replayRoot, { recursive: true, force: true });
console.log(`replay passed in ${elapsed()}`);
