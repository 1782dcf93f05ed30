/**
 * Hand-built OTLP for the classification tests that need no instrumentation: traces of an HTTP
 * server span with a GenAI chat child span in the current semantic conventions
 * (`gen_ai.input.messages` / `gen_ai.output.messages` / `gen_ai.system_instructions` as JSON
 * strings), sent to semtel over OTLP/HTTP protobuf.
 */
import { encodeTraces } from '@semtel/otlp';
import type { Span, Traces } from '@semtel/pdata';
import { createScope, createSpan, SpanKind, StatusCode } from '@semtel/pdata';
import type { OtlpSink } from '@semtel/testing';
import { buildResource, buildSmallSpan, nowUnixNano, randomSpanId, randomTraceId } from '@semtel/testing';
import { expect } from 'vitest';
import { indexSpans, spanKey, withoutEnrichment } from './semantic-assertions.js';

export interface Conversation {
  system: string;
  /** Alternating user / assistant turns, starting with the user; the last one is the model's output. */
  turns: string[];
}

/** Distinct subjects, so the fake classifier LLM (which picks labels by the transcript's words) varies its answers. */
export const chatConversations: Conversation[] = [
  {
    system: 'You are a senior TypeScript engineer.',
    turns: [
      'My Express handler crashes with "Cannot read properties of undefined" when the request body is empty. How do I fix it?',
      'Validate the body before using it, for example with zod, and return 400 when it is missing.',
      'Can you write the zod schema and the middleware for me, with a unit test?',
      'Here is a schema, a validation middleware and a vitest test that posts an empty body.',
    ],
  },
  {
    system: 'You are a wellness coach; you do not diagnose.',
    turns: [
      'I keep waking up at 3am and cannot fall asleep again. Any tips for better sleep?',
      'Keep a regular schedule, avoid screens late, and limit caffeine after noon.',
    ],
  },
  {
    system: 'You are a travel planner.',
    turns: [
      'Plan a four day itinerary for Kyoto in April with temples, food markets and a day trip to Nara.',
      'Day 1: Fushimi Inari and Gion. Day 2: Arashiyama. Day 3: Nara. Day 4: Nishiki market and Kiyomizu-dera.',
      'Perfect, thank you so much, that is exactly what I needed!',
      'You are welcome, enjoy the cherry blossoms.',
    ],
  },
  {
    system: 'You help small businesses with finance questions.',
    turns: [
      'How should I budget quarterly tax payments for my freelance design income of about 80k a year?',
      'Set aside roughly 25 to 30 percent of each invoice in a separate account and pay estimated taxes each quarter.',
    ],
  },
  {
    system: 'You are a writing assistant.',
    turns: [
      'Write a short, warm wedding toast for my sister Anna and her husband Tom; they met at a climbing gym.',
      'To Anna and Tom, who found each other halfway up a wall and have been each other’s safety rope ever since…',
      'Make it funnier and shorter, please.',
      'Anna and Tom: proof that falling for someone works best with a good belay partner. Cheers!',
    ],
  },
  {
    system: 'You are a chemistry tutor for high school students.',
    turns: [
      'Explain why ice floats on water, I have a test tomorrow and I am confused about density.',
      'Ice forms a hexagonal lattice held by hydrogen bonds, which spaces the molecules further apart, so it is less dense than liquid water.',
    ],
  },
  {
    system: 'You are a home cooking assistant.',
    turns: [
      'I have chickpeas, spinach, garlic and coconut milk. What vegetarian dinner can I cook in 30 minutes?',
      'Make a chickpea and spinach curry: fry garlic, add spices, chickpeas and coconut milk, then wilt the spinach.',
    ],
  },
  {
    system: 'You are a career advisor.',
    turns: [
      'I have a job interview for a data analyst position on Monday. What SQL questions should I prepare for?',
      'Expect joins, window functions, aggregations with GROUP BY and HAVING, and a question about handling NULLs.',
    ],
  },
];

const genAiScope = createScope('@opentelemetry/instrumentation-openai', '0.21.0');
const httpScope = createScope('@opentelemetry/instrumentation-http', '0.208.0');

function textMessage(role: string, text: string): Record<string, unknown> {
  return { role, parts: [{ type: 'text', content: text }] };
}

/** A chat span carrying the conversation; `salt` is appended to the last user turn to make its content unique. */
export function buildChatSpan(options: {
  conversation: Conversation;
  traceId: string;
  parentSpanId: string;
  salt?: string;
  spanId?: string;
}): Span {
  const { conversation } = options;
  const turns = [...conversation.turns];
  const output = turns.pop() ?? '';
  const input = turns.map((text, index) => {
    const last = index === turns.length - 1;
    return textMessage(
      index % 2 === 0 ? 'user' : 'assistant',
      last && options.salt ? `${text} (${options.salt})` : text,
    );
  });
  const start = nowUnixNano();
  return createSpan({
    traceId: options.traceId,
    spanId: options.spanId ?? randomSpanId(),
    parentSpanId: options.parentSpanId,
    flags: 0x101,
    name: 'chat gpt-4o-mini',
    kind: SpanKind.CLIENT,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 850_000_000n,
    attributes: [
      { key: 'gen_ai.operation.name', value: 'chat' },
      { key: 'gen_ai.provider.name', value: 'openai' },
      { key: 'gen_ai.request.model', value: 'gpt-4o-mini' },
      { key: 'gen_ai.response.model', value: 'gpt-4o-mini-2024-07-18' },
      { key: 'gen_ai.response.id', value: `chatcmpl-${randomSpanId()}` },
      { key: 'gen_ai.usage.input_tokens', value: 312n },
      { key: 'gen_ai.usage.output_tokens', value: 96n },
      { key: 'gen_ai.response.finish_reasons', value: ['stop'] },
      { key: 'gen_ai.system_instructions', value: JSON.stringify([{ type: 'text', content: conversation.system }]) },
      { key: 'gen_ai.input.messages', value: JSON.stringify(input) },
      {
        key: 'gen_ai.output.messages',
        value: JSON.stringify([{ ...textMessage('assistant', output), finish_reason: 'stop' }]),
      },
    ],
    status: { code: StatusCode.UNSET, message: '' },
  });
}

export interface ChatTraces {
  traces: Traces;
  /** The GenAI chat spans, as sent. */
  genAi: Span[];
  /** The HTTP server spans (not GenAI), as sent. */
  plain: Span[];
}

/**
 * `count` traces, each an HTTP server span with one GenAI chat child, cycling through the
 * conversations; `salt` makes the content of one call unique to it.
 */
export function buildChatTraces(count: number, options: { salt?: string; traceIds?: string[] } = {}): ChatTraces {
  const genAi: Span[] = [];
  const plain: Span[] = [];
  for (let index = 0; index < count; index += 1) {
    const traceId = options.traceIds?.[index] ?? randomTraceId();
    const server = buildSmallSpan({ traceId, name: 'POST /api/chat' });
    plain.push(server);
    const conversation = chatConversations[index % chatConversations.length] as Conversation;
    const salt = options.salt === undefined ? `call ${index}` : `${options.salt} ${index}`;
    genAi.push(buildChatSpan({ conversation, traceId, parentSpanId: server.spanId, salt }));
  }
  return { genAi, plain, traces: tracesOf(genAi, plain) };
}

/** One request: the HTTP spans and the GenAI spans under their own instrumentation scopes. */
export function tracesOf(genAi: Span[], plain: Span[]): Traces {
  return {
    resourceSpans: [
      {
        resource: buildResource('assistant-api'),
        schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
        scopeSpans: [
          { scope: httpScope, spans: plain, schemaUrl: '' },
          { scope: genAiScope, spans: genAi, schemaUrl: '' },
        ].filter((scopeSpans) => scopeSpans.spans.length > 0),
      },
    ],
  };
}

/** POSTs the traces to semtel as OTLP/HTTP protobuf and checks that they were accepted. */
export async function sendTraces(httpEndpoint: string, traces: Traces): Promise<void> {
  const response = await fetch(`${httpEndpoint}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: encodeTraces(traces, 'protobuf'),
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`semtel answered ${response.status} to an OTLP export`);
}

/**
 * Waits for every sent span at the sink and checks delivery: each exactly once and nothing
 * else, HTTP spans exactly as sent, GenAI spans as sent apart from semtel's attributes and
 * evaluation events. Returns the delivered GenAI spans in the order they were sent.
 */
export async function checkChatDelivery(sink: OtlpSink, sent: ChatTraces[], timeoutMs: number): Promise<Span[]> {
  const genAi = sent.flatMap((batch) => batch.genAi);
  const plain = sent.flatMap((batch) => batch.plain);
  const total = genAi.length + plain.length;
  await sink.waitForSpans(total, timeoutMs);
  // A little longer, so that an extra (duplicated) span would be seen.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(sink.spanCount).toBe(total);
  const received = indexSpans(sink.spans());
  for (const span of plain) {
    expect(received.get(spanKey(span))?.span, `HTTP span ${span.spanId}`).toEqual(span);
  }
  return genAi.map((span) => {
    const delivered = received.get(spanKey(span));
    expect(delivered, `GenAI span ${span.spanId} was not delivered`).toBeDefined();
    const forwarded = (delivered as { span: Span }).span;
    expect(withoutEnrichment(forwarded)).toEqual(span);
    return forwarded;
  });
}
