/**
 * Wraps an async function so that it runs at most once; later calls share the first
 * call's promise. Lifecycle methods use it so that shutdown is safe to call twice.
 */
export function once<Arguments extends unknown[], Result>(
  run: (...arguments_: Arguments) => Promise<Result>,
): (...arguments_: Arguments) => Promise<Result> {
  let result: Promise<Result> | undefined;
  return (...arguments_: Arguments) => {
    result ??= run(...arguments_);
    return result;
  };
}
