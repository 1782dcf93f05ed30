import type { CreateSettings, NextConsumers, ReceiverFactory } from '@semtel/component';
import type { OtlpReceiverConfig } from './otlp-receiver-config.js';
import { otlpReceiverConfigSchema } from './otlp-receiver-config.js';
import { OtlpReceiver } from './otlp-receiver.js';

/** Narrows `create` so callers (the service, tests) can read the bound addresses. */
export interface OtlpReceiverFactory extends ReceiverFactory<OtlpReceiverConfig> {
  create(settings: CreateSettings, config: OtlpReceiverConfig, next: NextConsumers): OtlpReceiver;
}

export const otlpReceiverFactory: OtlpReceiverFactory = {
  type: 'otlp',
  signals: ['traces', 'logs', 'metrics'],
  configSchema: otlpReceiverConfigSchema,
  create(settings: CreateSettings, config: OtlpReceiverConfig, next: NextConsumers): OtlpReceiver {
    return new OtlpReceiver(settings, config, next);
  },
};
