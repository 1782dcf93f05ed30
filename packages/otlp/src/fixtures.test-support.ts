import { readFileSync } from 'node:fs';

/** Raw request bodies captured from the real OpenTelemetry JS SDK exporters (see README). */
export function readFixture(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
}
