import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Claims a store for this process with a pid file beside it. Two services replaying one store
 * would each deliver every entry, so a second one on the same file is refused while the first
 * lives. A pid file left by a process that is gone (kill -9) is taken over.
 */
export function claimStoreOwnership(storePath: string, pid = process.pid): () => void {
  const ownerPath = `${storePath}.owner`;
  let previous: number | undefined;
  try {
    previous = Number.parseInt(readFileSync(ownerPath, 'utf8'), 10);
  } catch {
    previous = undefined;
  }
  if (previous !== undefined && Number.isInteger(previous) && previous !== pid && isAlive(previous)) {
    throw new Error(
      `the durable queue store ${storePath} is in use by process ${previous}; give each semtel its own directory`,
    );
  }
  writeFileSync(ownerPath, `${pid}\n`);
  return () => {
    try {
      if (Number.parseInt(readFileSync(ownerPath, 'utf8'), 10) === pid) rmSync(ownerPath, { force: true });
    } catch {
      // Already gone: nothing to release.
    }
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
