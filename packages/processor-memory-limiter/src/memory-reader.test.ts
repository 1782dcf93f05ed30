import { platform } from 'node:os';
import { describe, expect, it } from 'vitest';
import { anonymousResidentBytes, createProcessMemoryReader, processMemoryReader } from './memory-reader.js';

/** `/proc/self/status` of a process that read a 250 MiB memory-mapped store: most of its RSS is the file. */
const statusAfterReadingStore = [
  'Name:\tnode',
  'VmHWM:\t  352100 kB',
  'VmRSS:\t  342016 kB',
  'RssAnon:\t   43008 kB',
  'RssFile:\t  298496 kB',
  'RssShmem:\t     512 kB',
  'Threads:\t11',
].join('\n');

describe('processMemoryReader', () => {
  it('counts anonymous memory, not the file-backed pages a memory-mapped store adds to RSS', () => {
    const reader = createProcessMemoryReader({
      readStatus: () => statusAfterReadingStore,
      residentSetSize: () => 342_016 * 1024,
    });
    expect(reader.read().residentBytes).toBe(43_008 * 1024);
  });

  it('falls back to RSS where the kernel does not report RssAnon, and stops asking', () => {
    let statusReads = 0;
    const reader = createProcessMemoryReader({
      readStatus: () => {
        statusReads += 1;
        return undefined;
      },
      residentSetSize: () => 123 * 1024 * 1024,
    });
    expect(reader.read().residentBytes).toBe(123 * 1024 * 1024);
    expect(reader.read().residentBytes).toBe(123 * 1024 * 1024);
    expect(statusReads).toBe(1);
    expect(anonymousResidentBytes('Name:\tnode\nVmRSS:\t 1000 kB')).toBeUndefined();
  });

  it.runIf(platform() === 'linux')('reads RssAnon of this process on Linux: non-zero and within RSS', () => {
    const usage = processMemoryReader.read();
    expect(usage.residentBytes).toBeGreaterThan(0);
    expect(usage.residentBytes).toBeLessThanOrEqual(process.memoryUsage.rss());
  });
});
