import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { Logger } from '@semtel/component';
import type { StoreVerdict } from './store-verification.js';
import { verifyStore } from './store-verification.js';

export interface StoreDamageRecoveryOptions {
  logger: Logger;
  /** Replaced in tests. */
  verify?: (path: string) => Promise<StoreVerdict>;
  now?: () => Date;
}

/** Reading runs at least this long before it counts as stuck, plus a second per 20 MiB of file. */
const minimumVerificationMs = 30_000;
const verifiedBytesPerSecond = 20 * 1024 * 1024;

/** `<store>.corrupt-2025-01-02T03-04-05-678Z`: sorts by time, and no character a shell would mind. */
export function damagedStorePath(path: string, at: Date): string {
  return `${path}.corrupt-${at.toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * Checks the store before this process opens it. A damaged store crashes the process with a signal
 * nothing can catch, and it would crash again after every restart, so it is moved aside (kept for
 * recovery by hand, never deleted) and the queue starts empty; the error log says what happened
 * and how to recover. Returns where the damaged file went, if it was moved.
 */
export async function setAsideDamagedStore(
  path: string,
  options: StoreDamageRecoveryOptions,
): Promise<string | undefined> {
  if (!existsSync(path)) return undefined;
  const fileBytes = statSync(path).size;
  // A file created by a process that died before LMDB wrote its first page: LMDB initialises it.
  if (fileBytes === 0) return undefined;
  const verify =
    options.verify ??
    ((storePath: string) =>
      verifyStore(storePath, {
        timeoutMs: minimumVerificationMs + Math.ceil((fileBytes / verifiedBytesPerSecond) * 1000),
      }));
  let verdict = await verify(path);
  if (verdict.state === 'damaged') {
    // Moving a sound store aside would withhold its data, so one reader's verdict is not enough:
    // damage reproduces, a fluke of the reader does not.
    const second = await verify(path);
    if (second.state !== 'damaged') {
      options.logger.warn(
        { path, first: verdict.reason, second: second.state },
        'durable queue store: two readers disagreed about damage; opening it',
      );
    }
    verdict = second;
  }
  const { logger } = options;
  if (verdict.state === 'sound') {
    logger.debug({ path, entries: verdict.entries, bytes: verdict.bytes }, 'durable queue store verified');
    return undefined;
  }
  if (verdict.state === 'unverified') {
    // Not evidence of damage: moving a sound store aside would withhold its data, so it is opened.
    logger.warn({ path, reason: verdict.reason }, 'durable queue store could not be verified; opening it as it is');
    return undefined;
  }
  const movedTo = damagedStorePath(path, (options.now ?? (() => new Date()))());
  renameSync(path, movedTo);
  // LMDB's lock table belongs to the damaged file; this process owns the store, so nobody else uses it.
  rmSync(`${path}-lock`, { force: true });
  logger.error(
    {
      path,
      moved_to: movedTo,
      reason: verdict.reason,
      recovery:
        `The requests in ${movedTo} are not delivered. To deliver what is still readable, dump it with ` +
        `LMDB's mdb_dump (mdb_dump -n -a -f dump.txt ${movedTo}), load the dump into a new store ` +
        `(mdb_load -n -f dump.txt <empty directory>/${basename(path)}), and run a second semtel with ` +
        `durable_queue.directory set to that directory until its queue is empty: see the README of ` +
        `@semtel/processor-durable-queue, "Damaged store". Delete ${movedTo} once it is not needed.`,
    },
    'durable queue store is damaged: moved it aside and starting with an empty queue',
  );
  return movedTo;
}
