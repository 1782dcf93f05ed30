import { describe, expect, it } from 'vitest';
import { once } from './once.js';

describe('once', () => {
  it('runs the function on the first call only, and every call shares its promise', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const shutdown = once(async (reason: string) => {
      runs += 1;
      await new Promise<void>((resolve) => (release = resolve));
      return `stopped: ${reason}`;
    });
    const first = shutdown('SIGTERM');
    const second = shutdown('SIGINT');
    expect(second).toBe(first);
    release();
    await expect(first).resolves.toBe('stopped: SIGTERM');
    await expect(shutdown('again')).resolves.toBe('stopped: SIGTERM');
    expect(runs).toBe(1);
  });

  it('keeps a failure too: a second call does not run it again', async () => {
    let runs = 0;
    const start = once(async () => {
      runs += 1;
      throw new Error('port in use');
    });
    await expect(start()).rejects.toThrow('port in use');
    await expect(start()).rejects.toThrow('port in use');
    expect(runs).toBe(1);
  });

  it('keeps separate state for separate wrappers', async () => {
    let runs = 0;
    const make = () => once(async () => (runs += 1));
    await make()();
    await make()();
    expect(runs).toBe(2);
  });
});
