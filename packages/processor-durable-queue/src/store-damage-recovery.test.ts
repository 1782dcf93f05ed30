import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noopLogger } from '@semtel/component';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { damagedStorePath, setAsideDamagedStore } from './store-damage-recovery.js';
import type { StoreVerdict } from './store-verification.js';

let directory: string;
let path: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'semtel-store-damage-'));
  path = join(directory, 'durable_queue.mdb');
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function verdicts(...answers: StoreVerdict[]): {
  verify: (path: string) => Promise<StoreVerdict>;
  asked: () => number;
} {
  let asked = 0;
  return {
    verify: async () => answers[Math.min(asked++, answers.length - 1)] as StoreVerdict,
    asked: () => asked,
  };
}

const crashed: StoreVerdict = { state: 'damaged', reason: 'reading it crashed the reader process (SIGSEGV)' };

describe('setAsideDamagedStore', () => {
  it('moves a store aside only when a second reader finds it damaged too', async () => {
    writeFileSync(path, 'not a store');
    writeFileSync(`${path}-lock`, 'lock table');
    const reader = verdicts(crashed, crashed);
    const at = new Date('2025-01-02T03:04:05.678Z');
    const movedTo = await setAsideDamagedStore(path, { logger: noopLogger, verify: reader.verify, now: () => at });
    expect(movedTo).toBe(join(directory, 'durable_queue.mdb.corrupt-2025-01-02T03-04-05-678Z'));
    expect(movedTo).toBe(damagedStorePath(path, at));
    expect(readdirSync(directory)).toEqual(['durable_queue.mdb.corrupt-2025-01-02T03-04-05-678Z']);
    expect(reader.asked()).toBe(2);
  });

  it('opens a store when the readers disagree, or when it could not be verified', async () => {
    writeFileSync(path, 'maybe a store');
    for (const second of [
      { state: 'sound', entries: 1, bytes: 1 },
      { state: 'unverified', reason: 'timed out' },
    ] as const) {
      expect(await setAsideDamagedStore(path, { logger: noopLogger, verify: verdicts(crashed, second).verify })).toBe(
        undefined,
      );
      expect(existsSync(path)).toBe(true);
    }
  });

  it('leaves a missing or empty file to LMDB, which creates or initialises it', async () => {
    const reader = verdicts(crashed);
    expect(await setAsideDamagedStore(path, { logger: noopLogger, verify: reader.verify })).toBe(undefined);
    writeFileSync(path, '');
    expect(await setAsideDamagedStore(path, { logger: noopLogger, verify: reader.verify })).toBe(undefined);
    expect(reader.asked()).toBe(0);
  });
});
