import { describe, expect, it } from 'vitest';
import type { AdaptiveSamplerOptions } from './adaptive-sampler.js';
import { AdaptiveSampler } from './adaptive-sampler.js';

/** Deterministic trace ids: a 64-bit LCG, so every run samples the same traces. */
function traceIdSource(seed: number): () => string {
  let state = BigInt(seed);
  const next = () => {
    state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffff_ffff_ffff_ffffn;
    return state.toString(16).padStart(16, '0');
  };
  return () => `${next()}${next()}`;
}

interface ClassifierModel {
  /** Interactions answered per second at most. */
  capacity: number;
  /** Seconds from being sent to being answered, at the least. */
  latency: number;
  /** Seconds of queue before sending after which a new interaction is refused at once (max_queue_wait). */
  maxQueueWait: number;
  /** Seconds after which a waiting interaction leaves unserved (max_hold). */
  maxHold: number;
  /** Answers come this many at a time (a batch), as soon as the capacity has accrued for them; default 1. */
  batch?: number;
}

interface Totals {
  offered: number;
  sampledOut: number;
  served: number;
  shed: number;
}

/**
 * A fake clock, a demand of GenAI traces per second and a classifier with a capacity, a latency and a
 * refusal bound, run one simulated second at a time: no timers, so every figure is exact on every run.
 */
class Simulation {
  now = 1_700_000_000_000;
  readonly sampler: AdaptiveSampler;
  readonly ratios: number[] = [];
  private readonly nextTraceId = traceIdSource(7);
  /** Arrival second of each waiting interaction, oldest first. */
  private queue: number[] = [];
  private second = 0;
  /** Capacity accrued towards the next answer. */
  private credit = 0;
  totals: Totals = { offered: 0, sampledOut: 0, served: 0, shed: 0 };

  constructor(
    readonly classifier: ClassifierModel,
    options: Partial<AdaptiveSamplerOptions> = {},
  ) {
    this.sampler = new AdaptiveSampler({
      ratio: 1,
      enabled: true,
      minRatio: 0.01,
      maxWaitMs: 15_000,
      maxBacklog: 0,
      backlogNoise: 10,
      now: () => this.now,
      ...options,
    });
  }

  run(seconds: number, demandPerSecond: number): void {
    for (let step = 0; step < seconds; step += 1) this.step(demandPerSecond);
  }

  private step(demandPerSecond: number): void {
    const { capacity, latency, maxQueueWait, maxHold } = this.classifier;
    for (let trace = 0; trace < demandPerSecond; trace += 1) {
      this.totals.offered += 1;
      if (this.sampler.decide(this.nextTraceId()) !== 'sampled') {
        this.totals.sampledOut += 1;
        continue;
      }
      this.sampler.offered(1);
      // Refused when it would wait longer than maxQueueWait before being sent (service time comes on top).
      if (this.queue.length / capacity > maxQueueWait + latency) {
        this.sampler.shed(1);
        this.totals.shed += 1;
      } else {
        this.queue.push(this.second);
      }
    }
    const expired = this.queue.filter((arrival) => this.second - arrival >= maxHold).length;
    this.queue = this.queue.slice(expired);
    if (expired > 0) this.sampler.shed(expired);
    this.totals.shed += expired;
    const batch = this.classifier.batch ?? 1;
    const eligible = this.queue.filter((arrival) => arrival <= this.second - latency).length;
    this.credit = Math.min(this.credit + capacity, batch + capacity);
    let served = 0;
    while (this.credit >= batch && served < eligible) {
      const answered = Math.min(batch, eligible - served);
      served += answered;
      this.credit -= batch;
    }
    this.queue = this.queue.slice(served);
    if (served > 0) this.sampler.served(served);
    this.totals.served += served;
    this.second += 1;
    this.now += 1000;
    const oldest = this.queue[0];
    this.sampler.update({
      outstanding: this.queue.length,
      oldestWaitMs: oldest === undefined ? 0 : (this.second - oldest) * 1000,
    });
    this.ratios.push(this.sampler.ratio);
  }
}

const rateLimited: ClassifierModel = { capacity: 20, latency: 4, maxQueueWait: 15, maxHold: 30 };

describe('AdaptiveSampler', () => {
  it.each([
    ['a rate limit that refuses what would queue past 15 s', rateLimited],
    // Queueing without refusals (a concurrency limit): only the wait tells, before spans would time out.
    ['a queue without refusals', { capacity: 20, latency: 7, maxQueueWait: Infinity, maxHold: 30 }],
    // Answers a batch of 30 at a time, every 1.5 s: a service rate measured in lumps.
    ['answers in batches', { capacity: 20, latency: 7, maxQueueWait: 15, maxHold: 30, batch: 30 }],
  ])('under sustained 3× overload (%s) settles near the servable third, sampling out most of the rest', (_, model) => {
    const simulation = new Simulation(model);
    simulation.run(90, 60);
    const lastMinute = simulation.ratios.slice(30);
    const average = lastMinute.reduce((sum, ratio) => sum + ratio, 0) / lastMinute.length;
    expect(average).toBeGreaterThan(0.25);
    expect(average).toBeLessThan(0.42);
    expect(Math.max(...lastMinute)).toBeLessThan(0.5);
    const { offered, sampledOut, served, shed } = simulation.totals;
    // The classifier was kept busy: nearly its whole capacity went to use.
    expect(served).toBeGreaterThan(0.9 * model.capacity * (90 - model.latency));
    // What it could not serve mostly left at once, sampled out, not refused or timed out after waiting.
    expect(sampledOut / (offered - served)).toBeGreaterThan(0.85);
    expect(shed).toBeLessThan(0.1 * (offered - served));
  });

  it('raises the ratio again gradually once the load drops, after a few clear updates', () => {
    const simulation = new Simulation(rateLimited);
    simulation.run(60, 60);
    const lowered = simulation.sampler.ratio;
    expect(lowered).toBeLessThan(0.5);
    simulation.run(120, 10);
    const recovery = simulation.ratios.slice(60);
    expect(recovery.at(-1)).toBe(1);
    expect(recovery.indexOf(1)).toBeGreaterThan(5);
    const { ratios } = simulation;
    for (let index = 1; index < ratios.length; index += 1) {
      const previous = ratios[index - 1] as number;
      const ratio = ratios[index] as number;
      // Gradual: no update raises it more than ×1.1 + 0.01.
      expect(ratio).toBeLessThanOrEqual(previous * 1.1 + 0.01 + 1e-9);
      // Hysteresis: after a cut, five updates at most at the cut ratio before any raise.
      if (ratio < previous)
        for (const after of ratios.slice(index + 1, index + 5)) expect(after).toBeLessThanOrEqual(ratio);
    }
  });

  it('does not lower the ratio while the first answers are still on their way', () => {
    const simulation = new Simulation({ capacity: 40, latency: 8, maxQueueWait: 15, maxHold: 30 });
    simulation.run(40, 30);
    expect(Math.min(...simulation.ratios)).toBe(1);
    expect(simulation.totals.shed).toBe(0);
  });

  it('does not mistake a slow classifier that keeps up for an overloaded one', () => {
    // Every answer takes 20 s, longer than maxWaitMs: a long wait, but a backlog that does not grow.
    const simulation = new Simulation({ capacity: 40, latency: 20, maxQueueWait: 60, maxHold: 30 });
    simulation.run(120, 20);
    expect(Math.min(...simulation.ratios)).toBe(1);
  });

  it('goes to the floor when nothing is served, and stays within floor and configured ratio', () => {
    const simulation = new Simulation(
      { capacity: 20, latency: 1_000, maxQueueWait: 1_000, maxHold: 10 },
      { ratio: 0.5, minRatio: 0.05 },
    );
    simulation.run(60, 40);
    expect(simulation.sampler.ratio).toBe(0.05);
    expect(Math.max(...simulation.ratios)).toBeLessThanOrEqual(0.5);
    const configuredOnly = new Simulation(rateLimited, { ratio: 0.5 });
    configuredOnly.run(60, 10);
    expect(Math.max(...configuredOnly.ratios)).toBe(0.5);
  });

  it('lowers on a count bound too, when one is set', () => {
    // Capacity 20/s at 25/s: 5 interactions more each second, well within the default wait bound for a while.
    const withoutBound = new Simulation(rateLimited);
    withoutBound.run(20, 25);
    expect(Math.min(...withoutBound.ratios)).toBe(1);
    const withBound = new Simulation(rateLimited, { maxBacklog: 40 });
    withBound.run(20, 25);
    expect(Math.min(...withBound.ratios)).toBeLessThan(1);
  });

  it('keeps the lower ratio’s traces a subset of the higher one’s, deterministically on the trace id', () => {
    const simulation = new Simulation(rateLimited);
    simulation.run(60, 60);
    const nextTraceId = traceIdSource(11);
    const traceIds = Array.from({ length: 5000 }, nextTraceId);
    const sampled = traceIds.filter((traceId) => simulation.sampler.decide(traceId) === 'sampled');
    const share = sampled.length / traceIds.length;
    expect(Math.abs(share - simulation.sampler.ratio)).toBeLessThan(0.03);
    const full = new AdaptiveSampler({
      ratio: 1,
      enabled: true,
      minRatio: 0.01,
      maxWaitMs: 15_000,
      maxBacklog: 0,
      backlogNoise: 10,
    });
    expect(sampled.every((traceId) => full.decide(traceId) === 'sampled')).toBe(true);
    // The same decision again for the same trace.
    expect(traceIds.filter((traceId) => simulation.sampler.decide(traceId) === 'sampled')).toEqual(sampled);
  });

  it('does nothing when disabled, and still measures the wait', () => {
    const simulation = new Simulation(rateLimited, { enabled: false });
    simulation.run(60, 60);
    expect(Math.min(...simulation.ratios)).toBe(1);
    expect(simulation.sampler.expectedWaitMs).toBeGreaterThan(10_000);
  });
});
