import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

/** What a look at a store file found. */
export type StoreVerdict =
  | { state: 'sound'; entries: number; bytes: number }
  /** The file cannot be used: opening it would crash or fail, or it lost entries. */
  | { state: 'damaged'; reason: string }
  /** It could not be checked (timeout, the reader itself failed); nothing is known against it. */
  | { state: 'unverified'; reason: string };

/**
 * The reader that runs in the child. It opens the store read-only and reads every entry of every
 * signal, which is what the queue itself does later: a damaged file makes LMDB follow garbage page
 * numbers and the process dies of SIGSEGV (random bytes) or SIGBUS (a truncated file, read past its
 * end). Those signals cannot be caught, so only a separate process can try it safely. It also
 * compares the file's length with its last page, and each database's entry count with what could
 * be read, which catch a truncation and a damaged leaf page that would not crash.
 */
const readerSource = String.raw`
'use strict';
const { statSync } = require('node:fs');
const [lmdbModule, storePath] = process.argv.slice(1);
const report = (verdict) => process.stdout.write(JSON.stringify(verdict) + '\n');
// LMDB's codes for a file that is not, or no longer, a consistent store.
const damagedCodes = new Set([-30797, -30796, -30795, -30794, -30793, -30784]);
try {
  const { open } = require(lmdbModule);
  const fileBytes = statSync(storePath).size;
  const root = open({ path: storePath, noSubdir: true, readOnly: true, encoding: 'binary', compression: false, maxDbs: 16 });
  const stats = root.getStats();
  const usedBytes = (stats.lastPageNumber + 1) * stats.pageSize;
  if (fileBytes < usedBytes) {
    report({ state: 'damaged', reason: 'truncated: the file has ' + fileBytes + ' bytes but its pages reach ' + usedBytes });
    process.exit(0);
  }
  let entries = 0;
  let bytes = 0;
  // Listed first: opening a database while its list is being iterated crashes lmdb-js (SIGSEGV).
  const names = [...root.getKeys()];
  for (const name of names) {
    const database = typeof name === 'string' ? root.openDB(name, { encoding: 'binary', compression: false, create: false }) : undefined;
    if (database === undefined) {
      report({ state: 'damaged', reason: 'the list of databases names ' + JSON.stringify(String(name)) + ', which does not open' });
      process.exit(0);
    }
    const counted = database.getStats().entryCount;
    let read = 0;
    for (const key of database.getKeys()) {
      const value = database.getBinaryFast(key);
      read += 1;
      bytes += value === undefined ? 0 : value.length;
    }
    if (read !== counted) {
      report({ state: 'damaged', reason: name + ': ' + counted + ' entries are recorded but ' + read + ' could be read' });
      process.exit(0);
    }
    entries += read;
  }
  report({ state: 'sound', entries, bytes });
} catch (error) {
  const reason = error && error.message ? error.message : String(error);
  report({ state: damagedCodes.has(error && error.code) ? 'damaged' : 'unverified', reason });
}
process.exit(0);
`;

/** Signals with which a reader dies on a damaged file (SIGABRT: an LMDB assertion). */
const crashSignals = new Set(['SIGSEGV', 'SIGBUS', 'SIGABRT']);

export interface StoreVerificationOptions {
  /** Kills the reader and reports `unverified` after this long. */
  timeoutMs: number;
}

/** Reads the store at `path` in a child process and says whether it is safe to open here. */
export function verifyStore(path: string, options: StoreVerificationOptions): Promise<StoreVerdict> {
  const lmdbModule = createRequire(import.meta.url).resolve('lmdb');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', readerSource, lmdbModule, path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let errors = '';
    const limit = 64 * 1024;
    child.stdout.on('data', (chunk: Buffer) => {
      if (output.length < limit) output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString('utf8')).slice(-limit);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ state: 'unverified', reason: `the store reader could not run: ${error.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        resolve({ state: 'unverified', reason: `reading the store took longer than ${options.timeoutMs} ms` });
        return;
      }
      if (signal !== null && crashSignals.has(signal)) {
        resolve({ state: 'damaged', reason: `reading it crashed the reader process (${signal})` });
        return;
      }
      const line = output.split('\n').find((each) => each.startsWith('{'));
      if (code === 0 && line !== undefined) {
        try {
          resolve(JSON.parse(line) as StoreVerdict);
          return;
        } catch {
          // Falls through: an answer that does not parse says nothing about the store.
        }
      }
      resolve({
        state: 'unverified',
        reason: `the store reader exited with ${signal ?? code}: ${errors.trim().split('\n').at(-1) ?? ''}`,
      });
    });
  });
}
