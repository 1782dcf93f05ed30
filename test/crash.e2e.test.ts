// Crash test: every span semtel acknowledged survives kill -9. Exports are blocked downstream at the
// kill; in the second run some had already succeeded, and only those may arrive twice. A third part
// checks the store's lock with real processes: one semtel per store, taken over at once after kill -9,
// also between "containers" (pid namespaces of their own, where every semtel is pid 1).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMixedTraces, OtlpSink } from '@semtel/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { metricValue, postTraces, spanIdsOf } from './support/otlp-http-sender.js';
import type { SemtelProcess } from './support/semtel-process.js';
import { startSemtelProcess } from './support/semtel-process.js';

const batches = 40;
const spansPerBatch = 50;
const concurrentSenders = 8;

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fixture(): Promise<{ sink: OtlpSink; queueDirectory: string }> {
  const sink = await OtlpSink.start();
  const queueDirectory = mkdtempSync(join(tmpdir(), 'semtel-crash-queue-'));
  cleanups.push(async () => {
    await sink.close();
    rmSync(queueDirectory, { recursive: true, force: true });
  });
  return { sink, queueDirectory };
}

async function startSemtel(
  sink: OtlpSink,
  queueDirectory: string,
  startTimeoutMs?: number,
  commandPrefix?: string[],
): Promise<SemtelProcess> {
  const semtel = await startSemtelProcess({
    startTimeoutMs,
    commandPrefix,
    processorsYaml: `
      memory_limiter: { check_interval: 200ms }
      durable_queue:
        directory: ${queueDirectory}
        fsync: batch
        retry: { initial_interval: 200ms, max_interval: 1s }
      semantic: { wait_for_release: true, max_hold: 5s, batch: { max_wait: 100ms } }
    `,
    exportersYaml: `
      otlp_http:
        endpoint: ${sink.httpEndpoint}
        compression: none
        sending_queue: { enabled: false }
        retry_on_failure: { initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 2s }
    `,
    pipelinesYaml: `
      traces: { receivers: [otlp], processors: [memory_limiter, durable_queue, semantic], exporters: [otlp_http] }
    `,
  });
  cleanups.push(async () => {
    await semtel.stop();
  });
  return semtel;
}

/** Sends `count` batches from concurrent senders, from `firstBatch` on; returns the spans acknowledged. */
async function sendBatches(semtel: SemtelProcess, firstBatch: number, count: number): Promise<Set<string>> {
  const acknowledged = new Set<string>();
  const statuses: number[] = [];
  let nextBatch = firstBatch;
  const sender = async (): Promise<void> => {
    while (nextBatch < firstBatch + count) {
      const index = nextBatch++;
      // Mixed traffic: 10 % GenAI chat spans, which the semantic processor holds and classifies.
      const traces = buildMixedTraces({ spanCount: spansPerBatch, genAiRatio: 0.1, variantOffset: index * 1000 });
      const result = await postTraces(semtel.httpEndpoint, traces);
      statuses.push(result.status);
      if (result.status === 200) for (const spanId of spanIdsOf(traces)) acknowledged.add(spanId);
    }
  };
  await Promise.all(Array.from({ length: concurrentSenders }, sender));
  expect(
    statuses.filter((status) => status !== 200),
    semtel.output(),
  ).toEqual([]);
  return acknowledged;
}

async function kill9(semtel: SemtelProcess): Promise<void> {
  semtel.child.kill('SIGKILL');
  if (semtel.child.exitCode === null && semtel.child.signalCode === null) {
    await new Promise((resolve) => semtel.child.once('exit', resolve));
  }
  expect(semtel.child.signalCode).toBe('SIGKILL');
}

async function waitForEmptyQueue(semtel: SemtelProcess): Promise<void> {
  await expect
    .poll(() => metricValue(semtel.metricsAddress, 'semtel_durable_queue_size', { data_type: 'traces' }), {
      timeout: 15_000,
    })
    .toBe(0);
}

/** Span ids delivered more than once, each with how often. */
function duplicatesOf(delivered: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const spanId of delivered) counts.set(spanId, (counts.get(spanId) ?? 0) + 1);
  return new Map([...counts].filter(([, count]) => count > 1));
}

describe('kill -9 with the durable queue on', () => {
  it('delivers every acknowledged span after a restart, with no duplicate while exports were blocked', async () => {
    const { sink, queueDirectory } = await fixture();
    // The backend refuses everything until the crash: nothing can have been delivered before it.
    sink.injectFault({ kind: 'unavailable' });
    const first = await startSemtel(sink, queueDirectory);
    const acknowledged = await sendBatches(first, 0, batches);
    expect(acknowledged.size).toBe(batches * spansPerBatch);

    // Exports were attempted and refused: the data is in flight or waiting on disk, not delivered.
    await sink.waitForRequests(1, 10_000, (request) => request.outcome === 'unavailable');
    expect(sink.spanCount).toBe(0);
    expect(
      await metricValue(first.metricsAddress, 'semtel_durable_queue_size', { data_type: 'traces' }),
    ).toBeGreaterThan(0);
    await kill9(first);

    sink.clearFaults();
    const second = await startSemtel(sink, queueDirectory);
    await sink.waitForSpans(acknowledged.size, 30_000);
    await waitForEmptyQueue(second);

    const delivered = sink.spans().map((entry) => entry.span.spanId);
    const distinct = new Set(delivered);
    const missing = [...acknowledged].filter((spanId) => !distinct.has(spanId));
    const duplicates = delivered.length - distinct.size;
    console.log(
      `crash test: ${acknowledged.size} spans acknowledged before kill -9, ${distinct.size} distinct delivered after the restart, ` +
        `${missing.length} missing, ${duplicates} duplicates`,
    );
    expect(missing).toEqual([]);
    // No export had succeeded before the kill, so a duplicate would mean a span was stored twice.
    expect(duplicates).toBe(0);
  }, 60_000);

  it('after exports that succeeded before the kill, duplicates only those, and lose nothing', async () => {
    const { sink, queueDirectory } = await fixture();
    const first = await startSemtel(sink, queueDirectory);
    // The backend takes the first half as it comes: those exports succeed.
    const acknowledged = await sendBatches(first, 0, batches / 2);
    await sink.waitForRequests(1, 10_000, (request) => request.outcome === 'accepted');
    // Then it refuses everything: the second half is stored, in flight or waiting, at the kill.
    sink.injectFault({ kind: 'unavailable' });
    for (const spanId of await sendBatches(first, batches / 2, batches / 2)) acknowledged.add(spanId);
    await sink.waitForRequests(1, 10_000, (request) => request.outcome === 'unavailable');
    expect(
      await metricValue(first.metricsAddress, 'semtel_durable_queue_size', { data_type: 'traces' }),
    ).toBeGreaterThan(0);
    await kill9(first);
    // The exports that had succeeded: nothing can reach the sink from the dead process any more.
    const succeededBeforeKill = new Set(sink.spans().map((entry) => entry.span.spanId));
    expect(succeededBeforeKill.size).toBeGreaterThan(0);

    sink.clearFaults();
    const second = await startSemtel(sink, queueDirectory);
    await sink.waitForSpans(acknowledged.size, 30_000);
    // Duplicates are counted once nothing is left to replay.
    await waitForEmptyQueue(second);

    const delivered = sink.spans().map((entry) => entry.span.spanId);
    const distinct = new Set(delivered);
    const missing = [...acknowledged].filter((spanId) => !distinct.has(spanId));
    const duplicates = duplicatesOf(delivered);
    const unexpected = [...duplicates.keys()].filter((spanId) => !succeededBeforeKill.has(spanId));
    console.log(
      `crash test with exports succeeding before the kill: ${acknowledged.size} spans acknowledged, ` +
        `${succeededBeforeKill.size} delivered before kill -9, ${distinct.size} distinct delivered in all, ` +
        `${missing.length} missing, ${delivered.length - distinct.size} duplicates ` +
        `(${duplicates.size} spans, all among those delivered before the kill: ${unexpected.length === 0})`,
    );
    expect(missing).toEqual([]);
    // A span may come twice only when its export had succeeded and the kill came before its entry
    // was deleted (or its request still held a GenAI span); once each otherwise.
    expect(unexpected).toEqual([]);
    expect([...duplicates.values()].every((count) => count === 2)).toBe(true);
  }, 90_000);
});

describe('one semtel per durable queue store', () => {
  it('refuses a second live process on the store, and takes it over at once after kill -9', async () => {
    const { sink, queueDirectory } = await fixture();
    const first = await startSemtel(sink, queueDirectory);
    // Two live processes in one pid namespace: the lock names the first, which still runs.
    await expect(startSemtel(sink, queueDirectory)).rejects.toThrow(/is in use by process \d+/);
    expect(first.child.exitCode).toBeNull();

    await kill9(first);
    // The dead owner is in this pid namespace: no lease to wait for.
    const second = await startSemtel(sink, queueDirectory);
    expect(second.child.exitCode).toBeNull();
  }, 60_000);

  it('lets exactly one of several processes started at once on one store run', async () => {
    const { sink, queueDirectory } = await fixture();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 3 }, () => startSemtel(sink, queueDirectory, 30_000)),
    );
    const running = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const refused = outcomes.filter(
      (outcome): outcome is PromiseRejectedResult =>
        outcome.status === 'rejected' && /is in use by/.test(String(outcome.reason)),
    );
    expect(running).toHaveLength(1);
    expect(refused).toHaveLength(2);
  }, 60_000);

  // A container of its own: a new pid namespace (node is pid 1 in it) with its own /proc; SIGTERM
  // to `unshare` reaches semtel. Needs root (CI runs as root); skipped, saying so, elsewhere.
  const container = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child=SIGTERM'];
  const canUnshare = spawnSync(container[0] as string, [...container.slice(1), 'true']).status === 0;
  it.runIf(canUnshare)(
    `holds between containers sharing the volume, where every semtel is pid 1${canUnshare ? '' : ' (skipped: unshare --pid needs root)'}`,
    async () => {
      const { sink, queueDirectory } = await fixture();
      const first = await startSemtel(sink, queueDirectory, undefined, container);
      // Its pid means nothing in another namespace: the second watches the lock for one lease (15 s),
      // sees the first's heartbeat, and refuses.
      await expect(startSemtel(sink, queueDirectory, 40_000, container)).rejects.toThrow(
        /is in use by process 1 on .*alive \(its lock heartbeats\)/,
      );
      // kill -9 semtel itself (the child of `unshare`): its lock stays behind, unreleased.
      const semtelPid = Number(
        readFileSync(`/proc/${first.child.pid}/task/${first.child.pid}/children`, 'utf8').trim(),
      );
      process.kill(semtelPid, 'SIGKILL');
      if (first.child.exitCode === null && first.child.signalCode === null) {
        await new Promise((resolve) => first.child.once('exit', resolve));
      }
      // A third, in a new container, takes it over once one lease passed without a heartbeat.
      const third = await startSemtel(sink, queueDirectory, 40_000, container);
      expect(third.output()).toMatch(/cannot check \(another host or container\); waiting one lease/);
      expect(third.child.exitCode).toBeNull();
    },
    120_000,
  );
});
