// Self-telemetry: semtel's own classification requests, as an instrumentation records them (semtel
// auto-instrumented, or a gateway in front of the classifier LLM tracing every call), come back into
// semtel's pipeline. They must pass through as they came, never classified, or each classification
// request would cause another. The requests are the ones semtel really sent to the classifier LLM.
import { encodeLogs } from '@semtel/otlp';
import type { KeyValue, LogRecord, Span } from '@semtel/pdata';
import { createLogRecord, createResource, createScope, createSpan, SpanKind } from '@semtel/pdata';
import { buildSmallSpan, randomSpanId, randomTraceId } from '@semtel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildChatTraces, checkChatDelivery, sendTraces, tracesOf } from './support/chat-spans.js';
import type { ClassificationStack } from './support/classification-stack.js';
import { startClassificationStack } from './support/classification-stack.js';
import { indexSpans, semtelStatus, spanKey } from './support/semantic-assertions.js';

interface RecordedRequest {
  model: string;
  messages: { role: string; content: string }[];
  response_format?: unknown;
}

let stack: ClassificationStack;
let recorded: RecordedRequest;

beforeAll(async () => {
  stack = await startClassificationStack();
  const app = buildChatTraces(2, { salt: 'self-telemetry' });
  await sendTraces(stack.httpEndpoint, app.traces);
  const delivered = await checkChatDelivery(stack.sink, [app], 20_000);
  for (const span of delivered) expect(semtelStatus(span), stack.logger.problems()).toMatch(/^(classified|cached)$/);
  const request = stack.classifierLlm.modelRequests.find((candidate) => candidate.outcome === 'ok');
  expect(request, 'semtel sent no classification request').toBeDefined();
  recorded = request?.body as RecordedRequest;
});

afterAll(async () => {
  await stack?.close();
});

function chatSpan(traceId: string, parentSpanId: string, attributes: KeyValue[]): Span {
  return createSpan({
    traceId,
    spanId: randomSpanId(),
    parentSpanId,
    name: `chat ${recorded.model}`,
    kind: SpanKind.CLIENT,
    attributes,
  });
}

async function sendLogs(records: LogRecord[]): Promise<void> {
  const logs = {
    resourceLogs: [
      {
        resource: createResource([{ key: 'service.name', value: 'semtel' }]),
        schemaUrl: '',
        scopeLogs: [
          { scope: createScope('@opentelemetry/instrumentation-openai', '0.21.0'), schemaUrl: '', logRecords: records },
        ],
      },
    ],
  };
  const response = await fetch(`${stack.httpEndpoint}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: encodeLogs(logs, 'protobuf'),
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  expect(response.status).toBe(200);
}

describe("semtel's own classification requests in the telemetry it receives", () => {
  it('pass through unlabelled in every convention, and no classification request is made for them', async () => {
    const requestsBefore = stack.classifierLlm.modelRequests.length;
    const spansBefore = stack.sink.spanCount;
    const [system, user] = recorded.messages;
    expect(system?.role).toBe('system');
    const traceId = randomTraceId();
    const server = buildSmallSpan({ traceId, name: 'POST /v1/traces' });
    const latest = chatSpan(traceId, server.spanId, [
      { key: 'gen_ai.operation.name', value: 'chat' },
      { key: 'gen_ai.provider.name', value: 'openai' },
      { key: 'gen_ai.request.model', value: recorded.model },
      {
        key: 'gen_ai.input.messages',
        value: JSON.stringify(
          recorded.messages.map((message) => ({
            role: message.role,
            parts: [{ type: 'text', content: message.content }],
          })),
        ),
      },
    ]);
    const openInference = chatSpan(traceId, server.spanId, [
      { key: 'openinference.span.kind', value: 'LLM' },
      { key: 'llm.model_name', value: recorded.model },
      ...recorded.messages.flatMap((message, index) => [
        { key: `llm.input_messages.${index}.message.role`, value: message.role },
        { key: `llm.input_messages.${index}.message.content`, value: message.content },
      ]),
      {
        key: 'llm.invocation_parameters',
        value: JSON.stringify({ model: recorded.model, response_format: recorded.response_format }),
      },
    ]);
    // Input capture off: only the request parameters (with the output schema's name) show what it is.
    const parametersOnly = chatSpan(traceId, server.spanId, [
      { key: 'openinference.span.kind', value: 'LLM' },
      {
        key: 'llm.invocation_parameters',
        value: JSON.stringify({ model: recorded.model, response_format: recorded.response_format }),
      },
    ]);
    // instrumentation-openai: the content comes as log records, here after the span.
    const logBorne = chatSpan(traceId, server.spanId, [
      { key: 'gen_ai.operation.name', value: 'chat' },
      { key: 'gen_ai.system', value: 'openai' },
      { key: 'gen_ai.request.model', value: recorded.model },
      { key: 'gen_ai.response.id', value: 'chatcmpl-self' },
      { key: 'gen_ai.response.finish_reasons', value: ['stop'] },
    ]);
    const sent = [latest, openInference, parametersOnly, logBorne];
    const expected = structuredClone([server, ...sent]);
    await sendTraces(stack.httpEndpoint, tracesOf(sent, [server]));
    await sendLogs([
      createLogRecord({
        traceId,
        spanId: logBorne.spanId,
        eventName: 'gen_ai.system.message',
        body: { kvlist: [{ key: 'content', value: system?.content ?? '' }] },
      }),
      createLogRecord({
        traceId,
        spanId: logBorne.spanId,
        eventName: 'gen_ai.user.message',
        body: { kvlist: [{ key: 'content', value: user?.content ?? '' }] },
      }),
    ]);
    await stack.sink.waitForSpans(spansBefore + expected.length, 20_000);
    const received = indexSpans(stack.sink.spans());
    for (const span of expected) {
      expect(received.get(spanKey(span))?.span, span.name).toEqual(span);
    }
    // A little longer, so that a classification request made for them would have been seen.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stack.classifierLlm.modelRequests).toHaveLength(requestsBefore);
  });
});
