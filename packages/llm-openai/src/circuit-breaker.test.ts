import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CircuitState } from './circuit-breaker.js';

function breaker(states: CircuitState[] = []): { circuit: CircuitBreaker; advance: (ms: number) => void } {
  let now = 0;
  const circuit = new CircuitBreaker({
    failureThreshold: 3,
    cooldownMs: 1000,
    maxCooldownMs: 3000,
    now: () => now,
    onStateChange: (state) => states.push(state),
  });
  return { circuit, advance: (ms) => (now += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of failures in a row; a success in between resets the count', () => {
    const { circuit } = breaker();
    circuit.recordFailure('500');
    circuit.recordFailure('500');
    circuit.recordSuccess();
    circuit.recordFailure('500');
    circuit.recordFailure('500');
    expect(circuit.state).toBe('closed');
    circuit.recordFailure('timeout');
    expect(circuit.state).toBe('open');
    expect(circuit.available).toBe(false);
    expect(circuit.tryAcquire()).toBe(false);
    expect(circuit.reason).toBe('timeout');
  });

  it('lets exactly one probe through when half-open; its success closes the circuit', () => {
    const states: CircuitState[] = [];
    const { circuit, advance } = breaker(states);
    for (let index = 0; index < 3; index += 1) circuit.recordFailure('down');
    advance(1000);
    expect(circuit.state).toBe('half_open');
    expect(circuit.tryAcquire()).toBe(true);
    expect(circuit.tryAcquire()).toBe(false);
    expect(circuit.available).toBe(false);
    circuit.recordSuccess();
    expect(circuit.state).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('reopens for twice as long when the probe fails, up to the maximum', () => {
    const { circuit, advance } = breaker();
    for (let index = 0; index < 3; index += 1) circuit.recordFailure('down');
    const waits: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      advance(circuit.remainingOpenMs);
      expect(circuit.tryAcquire()).toBe(true);
      circuit.recordFailure('still down');
      waits.push(circuit.remainingOpenMs);
    }
    expect(waits).toEqual([2000, 3000, 3000]);
  });

  it('frees the probe slot when the probe tells nothing about health', () => {
    const { circuit, advance } = breaker();
    for (let index = 0; index < 3; index += 1) circuit.recordFailure('down');
    advance(1000);
    expect(circuit.tryAcquire()).toBe(true);
    circuit.releaseProbe();
    expect(circuit.tryAcquire()).toBe(true);
  });

  it('opens at once for a given time (quota exhausted), keeping the longer of two', () => {
    const { circuit, advance } = breaker();
    circuit.openFor(60_000, 'quota exhausted');
    circuit.openFor(1_000, 'rate limited');
    expect(circuit.remainingOpenMs).toBe(60_000);
    advance(59_999);
    expect(circuit.state).toBe('open');
    advance(1);
    expect(circuit.state).toBe('half_open');
  });
});
