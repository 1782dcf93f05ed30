/** Waits for `flushed`, or rejects once `timeoutMs` passed without it settling. */
export async function flushedWithin(flushed: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      flushed,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the store did not flush to disk within ${timeoutMs} ms (fsync: always)`)),
          timeoutMs,
        );
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
