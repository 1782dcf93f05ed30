import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@semtel/component';
import { errorMessage } from '@semtel/component';

/** Who holds a store, written in the lock: enough to tell whether that process still runs. */
export interface StoreOwner {
  hostname: string;
  pid: number;
  /** The kernel's boot id: pids compare only within one boot of one machine. */
  boot_id?: string;
  /** The pid namespace: containers on one host each count their processes from 1. */
  pid_namespace?: string;
  /** Start time in clock ticks since boot, so that a reused pid is not taken for the owner. */
  start_time?: string;
  /** Unique per acquisition: tells this owner's records from any other's. */
  token: string;
  /** Raised by every heartbeat, so that an owner nobody can check locally is seen to be alive. */
  heartbeat: number;
  acquired_at: string;
  /** Set by a clean release: the store is free. */
  released?: boolean;
}

/** What identifies this process; tests pass another to play a process elsewhere. */
export type ProcessIdentity = Pick<StoreOwner, 'hostname' | 'pid' | 'boot_id' | 'pid_namespace' | 'start_time'>;

export interface StoreLockOptions {
  logger: Logger;
  /**
   * How long an owner that this process cannot check (another machine, container or pid
   * namespace) must go without a heartbeat before its lock counts as abandoned.
   */
  leaseMs?: number;
  /** How often the owner shows it is alive; a few times per lease. */
  heartbeatMs?: number;
  /** Called once if another process took the store over (this one had stalled for a whole lease). */
  onLost?: (error: Error) => void;
  identity?: ProcessIdentity;
}

export interface StoreLock {
  /** The lock's generation: each acquisition takes the next number. */
  readonly generation: number;
  /** Marks the lock released, so the next owner takes it at once. Safe to call twice. */
  release(): void;
}

/** Refusing to run on a store another process holds. */
export class StoreInUseError extends Error {
  override readonly name = 'StoreInUseError';
}

const defaultLeaseMs = 15_000;
/** Bounds the attempts when acquisitions race; each attempt either decides or sees a newer generation. */
const maxAttempts = 50;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Field 22 of `/proc/<pid>/stat`, read after the command name, which may hold spaces and parentheses. */
function processStartTime(pid: number | 'self'): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields?.[19];
}

/** This process, as it is written into a lock. */
export function currentProcessIdentity(): ProcessIdentity {
  let pidNamespace: string | undefined;
  try {
    pidNamespace = readlinkSync('/proc/self/ns/pid');
  } catch {
    pidNamespace = undefined;
  }
  return {
    hostname: hostname(),
    pid: process.pid,
    boot_id: readText('/proc/sys/kernel/random/boot_id')?.trim(),
    pid_namespace: pidNamespace,
    start_time: processStartTime('self'),
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `free` when the owner is certainly gone, `held` when it certainly runs, `unknown` when this
 * process cannot look (another machine, or another pid namespace such as a container sharing the
 * volume, where its pid means nothing here).
 */
function ownerState(owner: StoreOwner, self: ProcessIdentity): 'free' | 'held' | 'unknown' {
  if (owner.released === true) return 'free';
  const samePidSpace =
    owner.boot_id !== undefined && owner.pid_namespace !== undefined
      ? owner.boot_id === self.boot_id && owner.pid_namespace === self.pid_namespace
      : // Without /proc (macOS, Windows) a host has one pid space, named by its hostname.
        self.boot_id === undefined && owner.hostname === self.hostname;
  if (!samePidSpace) return 'unknown';
  if (!isRunning(owner.pid)) return 'free';
  if (owner.start_time !== undefined) {
    const startTime = owner.pid === self.pid ? self.start_time : processStartTime(owner.pid);
    if (startTime !== undefined && startTime !== owner.start_time) return 'free';
  }
  return 'held';
}

function describeOwner(owner: StoreOwner): string {
  return `process ${owner.pid} on ${owner.hostname} (since ${owner.acquired_at})`;
}

/** Generation files are named by their number; anything else in the directory is not a lock. */
function generations(directory: string): number[] {
  return readdirSync(directory)
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((left, right) => left - right);
}

function readOwner(directory: string, generation: number): StoreOwner | 'gone' | 'unreadable' {
  const text = readText(join(directory, String(generation)));
  if (text === undefined) return 'gone';
  try {
    const owner = JSON.parse(text) as StoreOwner;
    return typeof owner.pid === 'number' && typeof owner.token === 'string' ? owner : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Creates the generation's file only if no other process did: O_CREAT | O_EXCL decides the race. */
function createExclusively(path: string, owner: StoreOwner): boolean {
  let descriptor: number;
  try {
    descriptor = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(descriptor, `${JSON.stringify(owner)}\n`);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  return true;
}

/**
 * Replaces a generation's content in one step, so a reader never sees half a record. No fsync: a
 * heartbeat lost to a power cut costs nothing, and a sync here could stall the event loop behind
 * the store's own writes.
 */
function rewrite(directory: string, generation: number, owner: StoreOwner): void {
  const temporary = join(directory, `.${generation}.${owner.token}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(owner)}\n`, { mode: 0o644 });
  renameSync(temporary, join(directory, String(generation)));
}

const sleep = (milliseconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * Watches an owner this process cannot check for one lease. `alive` when it heartbeats (or
 * changes in any way), `moved` when the lock changed hands meanwhile, `silent` when nothing moved.
 */
async function watchOwner(
  directory: string,
  generation: number,
  seen: StoreOwner | 'unreadable',
  leaseMs: number,
): Promise<'alive' | 'moved' | 'silent'> {
  const pollMs = Math.max(10, Math.min(500, Math.floor(leaseMs / 10)));
  const until = Date.now() + leaseMs;
  const seenText = JSON.stringify(seen);
  for (let poll = 0; poll < 10_000 && Date.now() < until; poll++) {
    await sleep(pollMs);
    if (generations(directory).at(-1) !== generation) return 'moved';
    const now = readOwner(directory, generation);
    if (now === 'gone') return 'moved';
    if (JSON.stringify(now) === seenText) continue;
    return now !== 'unreadable' && now.released === true ? 'moved' : 'alive';
  }
  return 'silent';
}

/**
 * Takes the store at `storePath` for this process, or throws {@link StoreInUseError}. Two
 * processes delivering one store would each send every entry, so this must hold across processes
 * and containers sharing a local volume. (Network file systems are not supported: LMDB itself does
 * not support them, and their attribute caching can hide heartbeats for longer than a lease.)
 *
 * The lock is a directory `<store>.owners` of numbered generation files. Taking it means creating
 * the next number with O_EXCL, so of two racing processes exactly one wins; a newer number always
 * wins over an older one, so nothing is ever deleted to take a lock over. The previous owner is
 * judged by its record: in this pid namespace (same boot, same namespace) a dead pid, or a pid
 * now started at another time, frees it at once, as after kill -9. An owner elsewhere is watched
 * for one lease: it heartbeats every few seconds, so a lock that stays still that long was
 * abandoned. Clocks are never compared, so skew between hosts does not matter.
 */
export async function acquireStoreLock(storePath: string, options: StoreLockOptions): Promise<StoreLock> {
  const directory = `${storePath}.owners`;
  mkdirSync(directory, { recursive: true });
  const self = options.identity ?? currentProcessIdentity();
  const leaseMs = options.leaseMs ?? defaultLeaseMs;
  const heartbeatMs = options.heartbeatMs ?? Math.max(5, Math.floor(leaseMs / 5));
  const record: StoreOwner = {
    ...self,
    token: randomUUID(),
    heartbeat: 0,
    acquired_at: new Date().toISOString(),
  };

  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const newest = generations(directory).at(-1);
    if (newest !== undefined) {
      const owner = readOwner(directory, newest);
      if (owner === 'gone') continue;
      const state = owner === 'unreadable' ? 'unknown' : ownerState(owner, self);
      if (state === 'held') {
        throw new StoreInUseError(
          `the durable queue store ${storePath} is in use by ${describeOwner(owner as StoreOwner)}; give each semtel its own directory`,
        );
      }
      if (state === 'unknown') {
        options.logger.warn(
          {
            path: storePath,
            owner: owner === 'unreadable' ? 'unreadable' : describeOwner(owner),
            lease_ms: leaseMs,
          },
          'durable queue store is locked by a process this one cannot check (another host or container); waiting one lease for its heartbeat',
        );
        const verdict = await watchOwner(directory, newest, owner, leaseMs);
        if (verdict === 'moved') continue;
        if (verdict === 'alive') {
          throw new StoreInUseError(
            `the durable queue store ${storePath} is in use by ${owner === 'unreadable' ? 'another process' : describeOwner(owner)}, which is alive (its lock heartbeats); give each semtel its own directory`,
          );
        }
      }
    }
    const generation = (newest ?? 0) + 1;
    if (!createExclusively(join(directory, String(generation)), record)) continue;
    // A process that judged an older listing may have created a lower number after this one was
    // taken, or a higher one may exist already: only the newest generation holds the lock.
    if (generations(directory).at(-1) !== generation) {
      rmSync(join(directory, String(generation)), { force: true });
      continue;
    }
    for (const older of generations(directory).filter((each) => each < generation)) {
      rmSync(join(directory, String(older)), { force: true });
    }
    return holdLock(directory, generation, record, heartbeatMs, options);
  }
  throw new StoreInUseError(
    `could not take the durable queue store ${storePath}: other processes kept taking it (${maxAttempts} attempts)`,
  );
}

function holdLock(
  directory: string,
  generation: number,
  record: StoreOwner,
  heartbeatMs: number,
  options: StoreLockOptions,
): StoreLock {
  let current = record;
  let held = true;
  const stillOurs = (): boolean => {
    if (generations(directory).at(-1) !== generation) return false;
    const owner = readOwner(directory, generation);
    return owner !== 'gone' && owner !== 'unreadable' && owner.token === record.token;
  };
  const timer = setInterval(() => {
    try {
      if (!stillOurs()) {
        held = false;
        clearInterval(timer);
        const error = new Error(
          `the durable queue store lock ${directory} was taken over by another process: this one must stop delivering`,
        );
        options.logger.error({ path: directory }, error.message);
        options.onLost?.(error);
        return;
      }
      current = { ...current, heartbeat: current.heartbeat + 1 };
      rewrite(directory, generation, current);
    } catch (error) {
      // A missed heartbeat is survivable: the lease spans several of them.
      options.logger.warn({ path: directory, error: errorMessage(error) }, 'durable queue lock heartbeat failed');
    }
  }, heartbeatMs);
  // The heartbeat guards the lock; it must not be what keeps the process alive.
  timer.unref();
  return {
    generation,
    release() {
      if (!held) return;
      held = false;
      clearInterval(timer);
      try {
        if (stillOurs()) rewrite(directory, generation, { ...current, released: true });
      } catch (error) {
        // Not fatal: the next owner finds this process gone and takes the lock over.
        options.logger.warn({ path: directory, error: errorMessage(error) }, 'durable queue lock release failed');
      }
    },
  };
}
