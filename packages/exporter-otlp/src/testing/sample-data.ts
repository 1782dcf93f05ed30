import type { Logs, Traces } from '@semtel/pdata';
import { createLogRecord, createResource, createScope, createSpan, kvlist } from '@semtel/pdata';

/** A small batch of `count` spans with attributes of every AnyValue kind. */
export function sampleTraces(count = 2, name = 'chat gpt-4o'): Traces {
  const spans = Array.from({ length: count }, (_, index) =>
    createSpan({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: (0xeee19b7ec3c1b174n + BigInt(index)).toString(16),
      name: `${name} ${index}`,
      kind: 3,
      startTimeUnixNano: 1_544_712_660_000_000_123n,
      endTimeUnixNano: 1_544_712_661_000_000_000n,
      attributes: [
        { key: 'gen_ai.request.model', value: 'gpt-4o' },
        { key: 'gen_ai.usage.input_tokens', value: 12n },
        { key: 'temperature', value: 0.5 },
        { key: 'stream', value: false },
        { key: 'tags', value: ['a', 'b'] },
        { key: 'nested', value: kvlist([{ key: 'k', value: 'v' }]) },
      ],
      events: [
        {
          timeUnixNano: 1_544_712_660_500_000_000n,
          name: 'gen_ai.evaluation.result',
          attributes: [{ key: 'score', value: 1n }],
          droppedAttributesCount: 0,
        },
      ],
    }),
  );
  return {
    resourceSpans: [
      {
        resource: createResource([{ key: 'service.name', value: 'checkout' }]),
        scopeSpans: [{ scope: createScope('openai-instrumentation', '1.0.0'), spans, schemaUrl: '' }],
        schemaUrl: 'https://opentelemetry.io/schemas/1.30.0',
      },
    ],
  };
}

export function sampleLogs(count = 1): Logs {
  const logRecords = Array.from({ length: count }, (_, index) =>
    createLogRecord({
      timeUnixNano: 1_544_712_660_000_000_000n,
      severityNumber: 9,
      severityText: 'INFO',
      body: `hello ${index}`,
      attributes: [{ key: 'event.name', value: 'gen_ai.user.message' }],
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
    }),
  );
  return {
    resourceLogs: [
      {
        resource: createResource([{ key: 'service.name', value: 'checkout' }]),
        scopeLogs: [{ scope: createScope('logger'), logRecords, schemaUrl: '' }],
        schemaUrl: '',
      },
    ],
  };
}
