import type { Labels, Logger, Meter, ObserveCallback, TelemetrySettings } from '@semtel/component';

export interface LogEntry {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** Test double: a logger and a meter that remember what they were given. */
export interface RecordingTelemetry extends TelemetrySettings {
  readonly logs: LogEntry[];
  /** Sum of a counter over series whose labels include `labels`. */
  counter(name: string, labels?: Labels): number;
  /** Values an observable gauge reports right now. */
  observe(name: string): { value: number; labels: Labels }[];
}

function labelKey(labels: Labels | undefined): string {
  return JSON.stringify(Object.entries(labels ?? {}).sort());
}

export function recordingTelemetry(): RecordingTelemetry {
  const logs: LogEntry[] = [];
  const counters = new Map<string, Map<string, { labels: Labels; value: number }>>();
  const observables = new Map<string, ObserveCallback[]>();

  const makeLogger = (bindings: Record<string, unknown>): Logger => {
    const log =
      (level: LogEntry['level']) =>
      (first: object | string, message?: string): void => {
        if (typeof first === 'string') logs.push({ level, message: first, fields: { ...bindings } });
        else logs.push({ level, message: message ?? '', fields: { ...bindings, ...first } });
      };
    return {
      trace: log('trace'),
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      child: (more) => makeLogger({ ...bindings, ...more }),
    };
  };

  const meter: Meter = {
    counter(name) {
      let series = counters.get(name);
      if (series === undefined) {
        series = new Map();
        counters.set(name, series);
      }
      const known = series;
      return {
        add(value, labels) {
          const key = labelKey(labels);
          const entry = known.get(key) ?? { labels: labels ?? {}, value: 0 };
          entry.value += value;
          known.set(key, entry);
        },
      };
    },
    gauge: () => ({ set: () => undefined }),
    observableGauge(name, _help, _labelNames, callback) {
      observables.set(name, [...(observables.get(name) ?? []), callback]);
    },
    histogram: () => ({ record: () => undefined }),
  };

  return {
    logger: makeLogger({}),
    meter,
    logs,
    counter(name, labels = {}) {
      let total = 0;
      for (const entry of counters.get(name)?.values() ?? []) {
        if (Object.entries(labels).every(([key, value]) => entry.labels[key] === value)) total += entry.value;
      }
      return total;
    },
    observe(name) {
      const values: { value: number; labels: Labels }[] = [];
      for (const callback of observables.get(name) ?? [])
        callback((value, labels = {}) => values.push({ value, labels }));
      return values;
    },
  };
}
