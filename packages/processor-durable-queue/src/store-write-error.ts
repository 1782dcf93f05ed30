import { errorMessage } from '@semtel/component';

/** How long to wait for lmdb-js to reject `commitError` after the write failed (it does so at once). */
const commitErrorWaitMs = 1000;

/**
 * The error to report for a failed store write. lmdb-js rejects a write whose commit failed with
 * "Commit failed (see commitError for details)" and puts the real cause (no space left on device,
 * an I/O error) in `commitError`, a promise rejected with it. That promise must be handled or it
 * is an unhandled rejection, and its reason is what the operator needs to read.
 */
export async function storeWriteError(error: unknown): Promise<Error> {
  const commitError = (error as { commitError?: unknown } | null)?.commitError;
  if (!(commitError instanceof Promise)) return error instanceof Error ? error : new Error(errorMessage(error));
  let timer: NodeJS.Timeout | undefined;
  const cause = await Promise.race([
    commitError.then(
      () => undefined,
      (reason: unknown) => reason,
    ),
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), commitErrorWaitMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  if (cause === undefined) return error instanceof Error ? error : new Error(errorMessage(error));
  const code = (cause as { code?: unknown }).code;
  return new Error(`commit failed: ${errorMessage(cause)}${code === undefined ? '' : ` (code ${String(code)})`}`, {
    cause,
  });
}
