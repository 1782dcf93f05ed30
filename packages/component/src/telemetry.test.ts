import { describe, expect, it } from 'vitest';
import { noopLogger, noopMeter, noopTelemetry } from './telemetry.js';

describe('no-op telemetry', () => {
  it('accepts every call and returns usable instruments, so components need no checks', () => {
    expect(() => {
      noopLogger.info({ a: 1 }, 'message');
      noopLogger.error('message');
      noopLogger.child({ component: 'x' }).debug('message');
      noopMeter.counter('c', 'help').add(1, { label: 'v' });
      noopMeter.gauge('g', 'help').set(2);
      noopMeter.histogram('h', 'help').record(3);
      noopMeter.observableGauge('o', 'help', ['label'], (observe) => observe(1));
    }).not.toThrow();
    expect(noopLogger.child({})).toBe(noopLogger);
    expect(noopTelemetry).toEqual({ logger: noopLogger, meter: noopMeter });
  });
});
