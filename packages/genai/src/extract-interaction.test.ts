import type { AnyValue, InstrumentationScope, KeyValue, LogRecord, Span, SpanEvent } from '@semtel/pdata';
import { createLogRecord, createScope, createSpan, fromPlain, kvlist } from '@semtel/pdata';
import { describe, expect, it } from 'vitest';
import { extractInteraction } from './extract-interaction.js';

const traceId = '0af7651916cd43dd8448eb211c80319c';
const spanId = 'b7ad6b7169203331';

function attributes(values: Record<string, unknown>): KeyValue[] {
  return Object.entries(values).map(([key, value]) => ({ key, value: fromPlain(value) }));
}

function event(name: string, values: Record<string, unknown>, time = 0n): SpanEvent {
  return { timeUnixNano: time, name, attributes: attributes(values), droppedAttributesCount: 0 };
}

function span(values: Record<string, unknown>, events: SpanEvent[] = [], name = 'chat gpt-4o'): Span {
  return createSpan({ traceId, spanId, name, attributes: attributes(values), events });
}

function logEvent(
  name: string,
  body: Record<string, unknown> | undefined,
  values: Record<string, unknown> = {},
  options: { asAttribute?: boolean; time?: bigint } = {},
): LogRecord {
  return createLogRecord({
    traceId,
    spanId,
    timeUnixNano: options.time ?? 0n,
    eventName: options.asAttribute ? '' : name,
    attributes: attributes(options.asAttribute ? { 'event.name': name, ...values } : values),
    body: body === undefined ? undefined : fromPlain(body),
  });
}

const scope: InstrumentationScope = createScope('test');
const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' };

describe('OTel semconv ≥1.37 (otel_latest)', () => {
  it('reads structured AnyValue messages, system instructions and every part type', () => {
    const interaction = extractInteraction(
      span({
        ...chat,
        'gen_ai.system_instructions': [{ type: 'text', content: 'Be brief.' }],
        'gen_ai.input.messages': [
          {
            role: 'user',
            parts: [
              { type: 'text', content: 'Weather?' },
              { type: 'uri', modality: 'image', uri: 'https://x' },
            ],
          },
          {
            role: 'assistant',
            parts: [{ type: 'tool_call', id: 'c1', name: 'get_weather', arguments: { city: 'Paris' } }],
          },
          { role: 'tool', parts: [{ type: 'tool_call_response', id: 'c1', response: 'rainy' }] },
          // The v1.41 registry example used `result`; a tool result sent with role user is still the tool's turn.
          { role: 'user', parts: [{ type: 'tool_call_response', id: 'c2', result: { degrees: 14 } }] },
        ],
        'gen_ai.output.messages': [
          {
            role: 'assistant',
            parts: [
              { type: 'reasoning', content: 'hmm' },
              { type: 'text', content: 'Rainy.' },
            ],
          },
        ],
      }),
      scope,
    );
    expect(interaction).toEqual({
      convention: 'otel_latest',
      systemInstructions: ['Be brief.'],
      messages: [
        { role: 'user', text: 'Weather?\n[image]' },
        { role: 'assistant', text: '[tool_call get_weather]' },
        { role: 'tool', text: 'rainy' },
        { role: 'tool', text: '{"degrees":14}' },
      ],
      output: [{ role: 'assistant', text: '[reasoning]\nRainy.' }],
      provider: 'openai',
      operation: 'chat',
    });
  });

  it('reads JSON strings, keeps a plain-string system instruction, and bytes become a placeholder', () => {
    const messages: KeyValue[] = [
      ...attributes({
        ...chat,
        'gen_ai.system_instructions': 'You are terse.',
        'gen_ai.output.messages':
          '[{"role":"assistant","parts":[{"type":"text","content":"Done."}],"finish_reason":"stop"}]',
      }),
      {
        key: 'gen_ai.input.messages',
        value: [
          kvlist([
            { key: 'role', value: 'user' },
            {
              key: 'parts',
              value: [
                kvlist([
                  { key: 'type', value: 'blob' },
                  { key: 'modality', value: 'audio' },
                  { key: 'content', value: new Uint8Array([1, 2, 3]) },
                ]),
              ],
            },
          ]),
        ] as AnyValue,
      },
    ];
    const interaction = extractInteraction(createSpan({ traceId, spanId, name: 'chat', attributes: messages }), scope);
    expect(interaction).toMatchObject({
      systemInstructions: ['You are terse.'],
      messages: [{ role: 'user', text: '[audio]' }],
      output: [{ role: 'assistant', text: 'Done.' }],
    });
  });

  it('falls back to the raw text when a messages string is not JSON', () => {
    const interaction = extractInteraction(
      span({
        ...chat,
        'gen_ai.input.messages': '[{"role": "user", "parts": [truncated',
        'gen_ai.output.messages': 'Sure.',
      }),
      scope,
    );
    expect(interaction?.messages).toEqual([{ role: 'user', text: '[{"role": "user", "parts": [truncated' }]);
    expect(interaction?.output).toEqual([{ role: 'assistant', text: 'Sure.' }]);
  });

  it('merges operation.details log events: first input, all outputs (streaming emits one per item)', () => {
    const input = [{ role: 'user', parts: [{ type: 'text', content: 'Two facts, please.' }] }];
    const interaction = extractInteraction(span({ ...chat, 'gen_ai.system_instructions': 'Be factual.' }), scope, [
      logEvent(
        'gen_ai.client.inference.operation.details',
        undefined,
        { 'gen_ai.input.messages': input },
        { time: 1n },
      ),
      logEvent(
        'gen_ai.client.inference.operation.details',
        undefined,
        { 'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'Fact one.' }] }] },
        { time: 2n },
      ),
      logEvent(
        'gen_ai.client.inference.operation.details',
        undefined,
        {
          'gen_ai.output.messages': [{ role: 'assistant', parts: [{ type: 'text', content: 'Fact two.' }] }],
          'gen_ai.response.id': 'resp_9',
          'gen_ai.usage.output_tokens': 7,
        },
        { time: 3n },
      ),
    ]);
    expect(interaction).toEqual({
      convention: 'otel_latest',
      systemInstructions: ['Be factual.'],
      messages: [{ role: 'user', text: 'Two facts, please.' }],
      output: [
        { role: 'assistant', text: 'Fact one.' },
        { role: 'assistant', text: 'Fact two.' },
      ],
      provider: 'openai',
      operation: 'chat',
      responseId: 'resp_9',
      usage: { outputTokens: 7 },
    });
  });

  it('drops a system prompt reported both as instructions and as the first message', () => {
    const interaction = extractInteraction(
      span({
        ...chat,
        'gen_ai.system_instructions': 'Be brief.',
        'gen_ai.input.messages': [
          { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
          { role: 'developer', parts: [{ type: 'text', content: 'Answer in French.' }] },
          { role: 'user', parts: [{ type: 'text', content: 'Hi' }] },
          { role: 'system', parts: [{ type: 'text', content: 'Mid-conversation note.' }] },
        ],
      }),
      scope,
    );
    expect(interaction?.systemInstructions).toEqual(['Be brief.', 'Answer in French.']);
    expect(interaction?.messages).toEqual([
      { role: 'user', text: 'Hi' },
      { role: 'system', text: 'Mid-conversation note.' },
    ]);
  });
});

describe('OTel semconv 1.28–1.36 events (otel_events)', () => {
  const messages = [
    logEvent('gen_ai.system.message', { content: 'Be kind.' }, { 'gen_ai.system': 'openai' }, { time: 1n }),
    logEvent('gen_ai.user.message', { content: 'Weather in Paris?' }, {}, { time: 2n }),
    logEvent(
      'gen_ai.assistant.message',
      { tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      {},
      { time: 3n },
    ),
    logEvent('gen_ai.tool.message', { id: 'c1', content: 'rainy' }, {}, { time: 4n }),
    // Choices arrive out of index order; they are reported per index.
    logEvent(
      'gen_ai.choice',
      { index: 1, finish_reason: 'stop', message: { content: 'Second choice.' } },
      {},
      { time: 5n },
    ),
    logEvent('gen_ai.choice', { index: 0, finish_reason: 'stop', message: { content: 'Rainy.' } }, {}, { time: 6n }),
  ];
  const expected = {
    convention: 'otel_events',
    systemInstructions: ['Be kind.'],
    messages: [
      { role: 'user', text: 'Weather in Paris?' },
      { role: 'assistant', text: '[tool_call get_weather]' },
      { role: 'tool', text: 'rainy' },
    ],
    output: [
      { role: 'assistant', text: 'Rainy.' },
      { role: 'assistant', text: 'Second choice.' },
    ],
  };

  it('reads log records named by eventName, in time order', () => {
    expect(extractInteraction(span(chat), scope, [...messages].reverse())).toMatchObject(expected);
  });

  it('reads log records named by the event.name attribute', () => {
    const records = messages.map((record) => {
      const name = record.eventName;
      return { ...record, eventName: '', attributes: [...record.attributes, ...attributes({ 'event.name': name })] };
    });
    expect(extractInteraction(span(chat), scope, records)).toMatchObject(expected);
  });

  it('reads span events with the fields as attributes', () => {
    const interaction = extractInteraction(
      span(chat, [
        event('gen_ai.user.message', { content: 'Hi' }, 1n),
        event('gen_ai.choice', { index: 0, message: { role: 'assistant', content: 'Hello!' } }, 2n),
      ]),
      scope,
    );
    expect(interaction).toMatchObject({
      convention: 'otel_events',
      messages: [{ role: 'user', text: 'Hi' }],
      output: [{ role: 'assistant', text: 'Hello!' }],
    });
  });

  it('prefers joined log events over the same events bridged onto the span', () => {
    const interaction = extractInteraction(span(chat, [event('gen_ai.user.message', { content: 'Hi' }, 1n)]), scope, [
      logEvent('gen_ai.user.message', { content: 'Hi' }, {}, { time: 1n }),
    ]);
    expect(interaction?.messages).toEqual([{ role: 'user', text: 'Hi' }]);
  });

  it('returns undefined when the events carry no content (capture off)', () => {
    const interaction = extractInteraction(span(chat), scope, [
      logEvent('gen_ai.user.message', {}),
      logEvent('gen_ai.choice', { index: 0, finish_reason: 'stop', message: {} }),
    ]);
    expect(interaction).toBeUndefined();
  });

  it('ignores unrelated joined log records', () => {
    const interaction = extractInteraction(span(chat), scope, [
      logEvent('gen_ai.evaluation.result', { content: 'not content' }),
      createLogRecord({ traceId, spanId, body: 'a plain log line' }),
    ]);
    expect(interaction).toBeUndefined();
  });
});

describe('OTel semconv ≤1.27 (otel_legacy_prompt)', () => {
  it('reads Python-repr gen_ai.prompt / gen_ai.completion attributes', () => {
    const interaction = extractInteraction(
      span({
        'gen_ai.system': 'openai',
        'gen_ai.prompt': "[{'role': 'user', 'content': 'Hi there'}]",
        'gen_ai.completion': "[{'role': 'assistant', 'content': 'Hello!', 'tool_calls': None}]",
        'gen_ai.usage.prompt_tokens': 4,
        'gen_ai.usage.completion_tokens': 2,
      }),
      scope,
    );
    expect(interaction).toEqual({
      convention: 'otel_legacy_prompt',
      systemInstructions: [],
      messages: [{ role: 'user', text: 'Hi there' }],
      output: [{ role: 'assistant', text: 'Hello!' }],
      provider: 'openai',
      usage: { inputTokens: 4, outputTokens: 2 },
    });
  });

  it('reads gen_ai.content.* span events and keeps unparseable text as is', () => {
    const interaction = extractInteraction(
      span({ 'gen_ai.system': 'openai' }, [
        event('gen_ai.content.prompt', { 'gen_ai.prompt': "[{'role': 'user', 'content': 'broken" }),
        event('gen_ai.content.completion', { 'gen_ai.completion': 'Just text.' }),
      ]),
      scope,
    );
    expect(interaction?.messages).toEqual([{ role: 'user', text: "[{'role': 'user', 'content': 'broken" }]);
    expect(interaction?.output).toEqual([{ role: 'assistant', text: 'Just text.' }]);
  });
});

describe('OpenLLMetry flattened attributes (openllmetry)', () => {
  it('reads prompts and completions in index order, with tool calls and JSON content parts', () => {
    const interaction = extractInteraction(
      span(
        {
          'gen_ai.system': 'OpenAI',
          'llm.request.type': 'chat',
          'gen_ai.prompt.10.role': 'user',
          'gen_ai.prompt.10.content': 'Last',
          'gen_ai.prompt.0.role': 'system',
          'gen_ai.prompt.0.content': 'Be brief.',
          'gen_ai.prompt.1.role': 'user',
          'gen_ai.prompt.1.content':
            '[{"type":"text","text":"Look:"},{"type":"image_url","image_url":{"url":"data:"}}]',
          'gen_ai.prompt.2.role': 'assistant',
          'gen_ai.prompt.2.content': 'null',
          'gen_ai.prompt.2.tool_calls.0.name': 'lookup',
          'gen_ai.completion.0.role': 'assistant',
          'gen_ai.completion.0.content': '',
          'gen_ai.completion.0.finish_reason': 'tool_calls',
          'gen_ai.completion.0.tool_calls.0.name': 'get_weather',
          'gen_ai.completion.0.tool_calls.0.arguments': '{}',
          'gen_ai.completion.0.tool_calls.1.name': 'get_time',
          'gen_ai.completion.1.function_call.name': 'legacy_fn',
          'llm.usage.total_tokens': 10,
          'gen_ai.usage.prompt_tokens': 7,
          'llm.user': 'user-3',
        },
        [],
        'openai.chat',
      ),
      scope,
    );
    expect(interaction).toEqual({
      convention: 'openllmetry',
      systemInstructions: ['Be brief.'],
      messages: [
        { role: 'user', text: 'Look:\n[image]' },
        { role: 'assistant', text: '[tool_call lookup]' },
        { role: 'user', text: 'Last' },
      ],
      output: [
        { role: 'assistant', text: '[tool_call get_weather]\n[tool_call get_time]' },
        { role: 'assistant', text: '[tool_call legacy_fn]' },
      ],
      provider: 'openai',
      operation: 'chat',
      userId: 'user-3',
      usage: { inputTokens: 7 },
    });
  });
});

describe('OpenInference (openinference)', () => {
  it('reads multimodal contents and tool calls of flattened messages', () => {
    const interaction = extractInteraction(
      span({
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'claude-sonnet',
        'llm.provider': 'anthropic',
        'llm.input_messages.0.message.role': 'user',
        'llm.input_messages.0.message.contents.0.message_content.type': 'text',
        'llm.input_messages.0.message.contents.0.message_content.text': 'What is in this picture?',
        'llm.input_messages.0.message.contents.1.message_content.type': 'image',
        'llm.input_messages.0.message.contents.1.message_content.image.image.url': 'data:image/png;base64,AAAA',
        'llm.input_messages.1.message.role': 'assistant',
        'llm.input_messages.1.message.function_call_name': 'describe',
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.content': 'A cat.',
        'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'save',
        'llm.token_count.prompt': 12,
        'llm.token_count.completion': 3,
        'session.id': 's-1',
        'user.id': 'u-1',
      }),
      scope,
    );
    expect(interaction).toEqual({
      convention: 'openinference',
      systemInstructions: [],
      messages: [
        { role: 'user', text: 'What is in this picture?\n[image]' },
        { role: 'assistant', text: '[tool_call describe]' },
      ],
      output: [{ role: 'assistant', text: 'A cat.\n[tool_call save]' }],
      model: 'claude-sonnet',
      provider: 'anthropic',
      operation: 'chat',
      conversationId: 's-1',
      userId: 'u-1',
      usage: { inputTokens: 12, outputTokens: 3 },
    });
  });

  it('falls back to input.value / output.value, JSON or plain text by mime type', () => {
    const json = extractInteraction(
      span({
        'openinference.span.kind': 'AGENT',
        'input.value': JSON.stringify({ instructions: 'Plan well.', input: 'Plan a trip.' }),
        'input.mime_type': 'application/json',
        'output.value': JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          choices: [{ message: { role: 'assistant', content: 'Day 1: Lyon.' } }],
        }),
        'output.mime_type': 'application/json',
      }),
      scope,
    );
    expect(json).toMatchObject({
      systemInstructions: ['Plan well.'],
      messages: [{ role: 'user', text: 'Plan a trip.' }],
      output: [{ role: 'assistant', text: 'Day 1: Lyon.' }],
      operation: 'invoke_agent',
      responseId: 'chatcmpl-1',
    });
    const text = extractInteraction(
      span({
        'openinference.span.kind': 'LLM',
        'input.value': '["not", "json", "really"]',
        'input.mime_type': 'text/plain',
        'output.value': 'Plain answer',
      }),
      scope,
    );
    expect(text?.messages).toEqual([{ role: 'user', text: '["not", "json", "really"]' }]);
    expect(text?.output).toEqual([{ role: 'assistant', text: 'Plain answer' }]);
  });

  it('reads the legacy llm.prompts / llm.choices', () => {
    const interaction = extractInteraction(
      span({
        'openinference.span.kind': 'LLM',
        'llm.prompts.0.prompt.text': 'Complete this:',
        'llm.choices.0.completion.text': 'done.',
      }),
      scope,
    );
    expect(interaction?.messages).toEqual([{ role: 'user', text: 'Complete this:' }]);
    expect(interaction?.output).toEqual([{ role: 'assistant', text: 'done.' }]);
  });
});

describe('Vercel AI SDK (vercel_ai)', () => {
  const vercelScope = createScope('ai');

  it('reads ai.prompt with system and prompt, and the response text and tool calls', () => {
    const interaction = extractInteraction(
      span(
        {
          'ai.operationId': 'ai.streamText',
          'ai.model.id': 'gpt-4o',
          'ai.model.provider': 'openai.responses',
          'ai.prompt': JSON.stringify({ system: 'Be brief.', prompt: 'Hi!' }),
          'ai.response.text': 'Hello.',
          'ai.response.toolCalls': JSON.stringify([{ toolCallId: 'c', toolName: 'wave', input: '{}' }]),
          'ai.usage.promptTokens': 5,
          'ai.usage.completionTokens': 2,
          'ai.telemetry.metadata.userId': 'u-9',
        },
        [],
        'ai.streamText',
      ),
      vercelScope,
    );
    expect(interaction).toEqual({
      convention: 'vercel_ai',
      systemInstructions: ['Be brief.'],
      messages: [{ role: 'user', text: 'Hi!' }],
      output: [{ role: 'assistant', text: 'Hello.\n[tool_call wave]' }],
      model: 'gpt-4o',
      provider: 'openai',
      operation: 'invoke_agent',
      userId: 'u-9',
      usage: { inputTokens: 5, outputTokens: 2 },
    });
  });

  it('reads provider-call messages with file, tool-call and tool-result parts, and generateObject output', () => {
    const interaction = extractInteraction(
      span(
        {
          'ai.prompt.messages': JSON.stringify([
            { role: 'system', content: 'Extract.' },
            {
              role: 'user',
              content: [
                { type: 'text', text: 'This invoice:' },
                { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0=' },
              ],
            },
            { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c', toolName: 'ocr', input: {} }] },
            {
              role: 'tool',
              content: [{ type: 'tool-result', toolCallId: 'c', toolName: 'ocr', result: 'Total 12 EUR' }],
            },
          ]),
          'ai.response.object': '{"total":12}',
          'gen_ai.system': 'openai.chat',
        },
        [],
        'ai.generateObject.doGenerate',
      ),
      vercelScope,
    );
    expect(interaction).toMatchObject({
      systemInstructions: ['Extract.'],
      messages: [
        { role: 'user', text: 'This invoice:\n[file]' },
        { role: 'assistant', text: '[tool_call ocr]' },
        { role: 'tool', text: 'Total 12 EUR' },
      ],
      output: [{ role: 'assistant', text: '{"total":12}' }],
      provider: 'openai',
      operation: 'chat',
    });
  });

  it('treats a non-JSON ai.prompt as the user text', () => {
    const interaction = extractInteraction(
      span({ 'ai.operationId': 'ai.generateText', 'ai.prompt': 'just words' }, [], 'ai.generateText'),
      vercelScope,
    );
    expect(interaction?.messages).toEqual([{ role: 'user', text: 'just words' }]);
  });
});

describe('Langfuse (langfuse)', () => {
  it('reads observation input and output of any shape, session and user', () => {
    const interaction = extractInteraction(
      span({
        'langfuse.observation.type': 'generation',
        'langfuse.observation.model.name': 'mistral-large',
        'langfuse.observation.input': JSON.stringify({ question: 'Capital of France?', locale: 'en' }),
        'langfuse.observation.output': JSON.stringify({ role: 'assistant', content: 'Paris.' }),
        'langfuse.observation.usage_details': JSON.stringify({ prompt_tokens: 9, completion_tokens: 1 }),
        'langfuse.session.id': 'sess',
        'langfuse.user.id': 'usr',
      }),
      scope,
    );
    expect(interaction).toEqual({
      convention: 'langfuse',
      systemInstructions: [],
      messages: [{ role: 'user', text: '{"question":"Capital of France?","locale":"en"}' }],
      output: [{ role: 'assistant', text: 'Paris.' }],
      model: 'mistral-large',
      operation: 'chat',
      conversationId: 'sess',
      userId: 'usr',
      usage: { inputTokens: 9, outputTokens: 1 },
    });
  });

  it('wins over other conventions on the same span', () => {
    const interaction = extractInteraction(
      span({
        'langfuse.observation.type': 'generation',
        'langfuse.observation.input': 'from langfuse',
        'gen_ai.input.messages': '[{"role":"user","parts":[{"type":"text","content":"from semconv"}]}]',
      }),
      scope,
    );
    expect(interaction).toMatchObject({ convention: 'langfuse', messages: [{ role: 'user', text: 'from langfuse' }] });
  });
});

describe('no content, not GenAI, odd input', () => {
  it('returns undefined for a GenAI span without content', () => {
    expect(extractInteraction(span({ ...chat, 'gen_ai.request.model': 'gpt-4o' }), scope)).toBeUndefined();
    expect(
      extractInteraction(span({ ...chat, 'gen_ai.input.messages': '[]', 'gen_ai.output.messages': '' }), scope),
    ).toBe(undefined);
  });

  it('returns undefined for spans that are not GenAI inference spans, even with content', () => {
    expect(
      extractInteraction(span({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.input.messages': '"hi"' }), scope),
    ).toBeUndefined();
    expect(extractInteraction(span({ 'http.method': 'GET' }), scope)).toBeUndefined();
  });

  it('never throws on malformed or hostile values', () => {
    const deep = `${'{"role":"user","content":['.repeat(5000)}"x"${']}'.repeat(5000)}`;
    const hostile: Record<string, unknown>[] = [
      { 'gen_ai.input.messages': 42n, 'gen_ai.output.messages': true },
      { 'gen_ai.input.messages': '{{{{', 'gen_ai.system_instructions': '[1, 2' },
      { 'gen_ai.input.messages': [null, 1, 'text', [], {}, { role: 7, parts: 'nope' }, { parts: [{ type: 9 }] }] },
      { 'gen_ai.input.messages': deep },
      {
        'gen_ai.prompt.99999999999999999999.content': 'huge index',
        [`gen_ai.prompt.0${'.x'.repeat(500)}`]: 'deep key',
      },
      { 'gen_ai.input.messages': `${'['.repeat(100_000)}` },
    ];
    for (const values of hostile) {
      expect(() => extractInteraction(span({ ...chat, ...values }), scope)).not.toThrow();
    }
    const mixed = extractInteraction(span({ ...chat, ...hostile[2] }), scope);
    // Scalars become text, empty shapes vanish, an unrecognised part is kept as JSON rather than lost.
    expect(mixed?.messages).toEqual([
      { role: 'user', text: '1' },
      { role: 'user', text: 'text' },
      { role: 'user', text: '{"type":9}' },
    ]);
    expect(extractInteraction(span({ ...chat, ...hostile[4] }), scope)?.messages).toEqual([
      { role: 'user', text: 'huge index' },
    ]);
  });
});
