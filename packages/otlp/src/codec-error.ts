/** Thrown for any body the codec cannot decode or any value it cannot encode; the message says where and why. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
}

/** Runs `build`, prefixing the location (e.g. `resourceSpans[0]`) to any CodecError it throws. */
export function withLocation<T>(location: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw located(location, error);
  }
}

export function located(location: string, error: unknown): Error {
  if (error instanceof CodecError) {
    const separator = /^[A-Za-z]\w*[.[:]/.test(error.message) ? '.' : ': ';
    return new CodecError(`${location}${separator}${error.message}`);
  }
  return error instanceof Error ? error : new Error(String(error));
}
