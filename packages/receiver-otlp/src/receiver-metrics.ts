import type { Counter, Meter, Signal } from '@semtel/component';

export type Transport = 'http' | 'grpc';
export type ItemOutcome = 'accepted' | 'refused' | 'failed';

const itemNames: Record<Signal, string> = { traces: 'spans', logs: 'log_records', metrics: 'metric_points' };

const outcomeHelp: Record<ItemOutcome, string> = {
  accepted: 'successfully pushed into the pipeline',
  refused: 'that could not be pushed into the pipeline',
  failed: 'that failed to be processed by the receiver due to an internal error',
};

/** The collector's receiver self-metrics (`otelcol_receiver_accepted_spans` and friends). */
export class ReceiverMetrics {
  private readonly counters = new Map<string, Counter>();

  constructor(
    meter: Meter,
    private readonly receiver: string,
  ) {
    for (const signal of Object.keys(itemNames) as Signal[]) {
      const items = itemNames[signal];
      for (const outcome of Object.keys(outcomeHelp) as ItemOutcome[]) {
        const help = `Number of ${items.replace('_', ' ')} ${outcomeHelp[outcome]}.`;
        this.counters.set(
          `${signal}:${outcome}`,
          meter.counter(`otelcol_receiver_${outcome}_${items}`, help, ['receiver', 'transport']),
        );
      }
    }
  }

  record(signal: Signal, transport: Transport, outcome: ItemOutcome, count: number): void {
    this.counters.get(`${signal}:${outcome}`)?.add(count, { receiver: this.receiver, transport });
  }
}
