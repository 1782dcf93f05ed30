import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FakeOpenAiServer } from './fake-openai-server.js';
import type { FakeOpenAiServerOptions } from './fake-openai-server.js';

const labelSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['domain', 'intent', 'tags'],
  properties: {
    domain: { $ref: '#/$defs/domain' },
    intent: { type: 'string', enum: ['ask_question', 'write_code', 'unknown'] },
    tags: { type: 'array', items: { type: 'string', enum: ['alpha', 'beta', 'gamma'] } },
  },
};
const outputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['item-1', 'item-2'],
  properties: { 'item-1': { $ref: '#/$defs/labels' }, 'item-2': { $ref: '#/$defs/labels' } },
  $defs: {
    labels: labelSchema,
    domain: { type: 'string', enum: ['health_and_wellness', 'software_development', 'travel', 'unknown'] },
  },
};
const userMessage =
  '<item id="item-1">How do I fix this TypeScript compile error in my software project?</item>\n' +
  '<item id="item-2">What should I eat to improve my health and sleep wellness?</item>';

function chatBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You classify interactions. Answer in JSON.' },
      { role: 'user', content: userMessage },
    ],
    response_format: {
      type: 'json_schema',
      json_schema: { name: 'semtel_classification', strict: true, schema: outputSchema },
    },
    ...overrides,
  };
}

function validAgainst(schema: Record<string, unknown>, value: unknown): boolean {
  return z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]).safeParse(value).success;
}

let server: FakeOpenAiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: FakeOpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
  server = await FakeOpenAiServer.start(options);
  return server;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server?.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...headers },
    body: JSON.stringify(body),
  });
}

interface ChatCompletion {
  id: string;
  model: string;
  choices: { message: { content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details: { cached_tokens: number } };
}

async function chatContent(response: Response): Promise<unknown> {
  const body = (await response.json()) as ChatCompletion;
  return JSON.parse(body.choices[0]?.message.content ?? '');
}

describe('FakeOpenAiServer structured output', () => {
  it('answers json_schema requests with JSON valid against the schema, labels fitting each transcript', async () => {
    await start();
    const response = await post('/v1/chat/completions', chatBody());
    expect(response.status).toBe(200);
    const answer = await chatContent(response);
    expect(validAgainst(outputSchema, answer)).toBe(true);
    const labels = answer as Record<string, { domain: string; tags: string[] }>;
    expect(labels['item-1']?.domain).toBe('software_development');
    expect(labels['item-2']?.domain).toBe('health_and_wellness');
    expect(labels['item-1']?.tags).toHaveLength(1);
  });

  it('gives the same answer to the same request', async () => {
    await start();
    const first = await chatContent(await post('/v1/chat/completions', chatBody()));
    const second = await chatContent(await post('/chat/completions', chatBody()));
    expect(second).toEqual(first);
  });

  it('answers json_object requests with the schema written into the prompt', async () => {
    await start();
    const prompt = `${userMessage}\nRespond with a JSON object matching this JSON schema: ${JSON.stringify(outputSchema)}`;
    const response = await post('/v1/chat/completions', {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: prompt }],
      response_format: { type: 'json_object' },
    });
    const answer = (await chatContent(response)) as Record<string, { domain: string }>;
    expect(validAgainst(outputSchema, answer)).toBe(true);
    expect(answer['item-2']?.domain).toBe('health_and_wellness');
  });

  it('uses a configured json_object schema when given', async () => {
    await start({ jsonObjectSchema: () => labelSchema });
    const response = await post('/v1/chat/completions', {
      model: 'm',
      messages: [{ role: 'user', content: 'json please' }],
      response_format: { type: 'json_object' },
    });
    const answer = await chatContent(response);
    expect(Object.keys(answer as object).sort()).toEqual(['domain', 'intent', 'tags']);
  });

  it('answers plain chat requests with a text reply', async () => {
    await start({ chatReply: (messages) => `echo ${messages.at(-1)?.text}` });
    const response = await post('/v1/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'hello' }] });
    const body = (await response.json()) as ChatCompletion;
    expect(body.choices[0]?.message.content).toBe('echo hello');
  });
});

describe('FakeOpenAiServer usage', () => {
  it('counts tokens with o200k and reports cached tokens for a repeated long prefix', async () => {
    await start();
    const longInstructions = 'Classify the interaction carefully along every dimension of the taxonomy. '.repeat(120);
    const body = (user: string): Record<string, unknown> => ({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: longInstructions },
        { role: 'user', content: user },
      ],
    });
    const first = (await (await post('/v1/chat/completions', body('first question'))).json()) as ChatCompletion;
    const second = (await (
      await post('/v1/chat/completions', body('a different second question'))
    ).json()) as ChatCompletion;
    expect(first.usage.prompt_tokens).toBeGreaterThan(1024);
    expect(first.usage.prompt_tokens_details.cached_tokens).toBe(0);
    const cached = second.usage.prompt_tokens_details.cached_tokens;
    expect(cached).toBeGreaterThanOrEqual(1024);
    expect(cached % 128).toBe(0);
    expect(cached).toBeLessThanOrEqual(second.usage.prompt_tokens);
    expect(first.usage.completion_tokens).toBeGreaterThan(0);
    expect(server?.requests[1]?.usage?.cachedTokens).toBe(cached);
  });

  it('never reports cached tokens for short prompts', async () => {
    await start();
    await post('/v1/chat/completions', chatBody());
    const second = (await (await post('/v1/chat/completions', chatBody())).json()) as ChatCompletion;
    expect(second.usage.prompt_tokens).toBeLessThan(1024);
    expect(second.usage.prompt_tokens_details.cached_tokens).toBe(0);
  });
});

describe('FakeOpenAiServer faults', () => {
  it('answers 429 with OpenAI rate-limit headers and error body', async () => {
    await start();
    server?.enqueue({ kind: 'rate_limited', type: 'tokens', retryAfterMs: 1200 });
    const response = await post('/v1/chat/completions', chatBody());
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(response.headers.get('x-ratelimit-reset-tokens')).toBe('1.2s');
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe('0');
    expect(response.headers.get('x-ratelimit-reset-requests')).toBe('1s');
    expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('59');
    const body = (await response.json()) as { error: { message: string; code: string; type: string } };
    expect(body.error.code).toBe('rate_limit_exceeded');
    expect(body.error.type).toBe('tokens');
    expect(body.error.message).toContain('Please try again in 1.2s');
    // One-shot: the next request succeeds.
    expect((await post('/v1/chat/completions', chatBody())).status).toBe(200);
  });

  it('answers insufficient_quota, 5xx, context length and too-large requests', async () => {
    await start();
    server?.enqueue(
      { kind: 'insufficient_quota' },
      { kind: 'server_error', status: 503 },
      { kind: 'context_length' },
      { kind: 'request_too_large' },
    );
    const quota = await post('/v1/chat/completions', chatBody());
    expect(quota.status).toBe(429);
    expect(((await quota.json()) as { error: { code: string } }).error.code).toBe('insufficient_quota');
    const overloaded = await post('/v1/chat/completions', chatBody());
    expect(overloaded.status).toBe(503);
    expect(((await overloaded.json()) as { error: { code: string } }).error.code).toBe('server_is_overloaded');
    const context = await post('/v1/chat/completions', chatBody());
    expect(context.status).toBe(400);
    expect(((await context.json()) as { error: { code: string } }).error.code).toBe('context_length_exceeded');
    const tooLarge = await post('/v1/chat/completions', chatBody());
    expect(tooLarge.status).toBe(429);
    expect(((await tooLarge.json()) as { error: { message: string } }).error.message).toMatch(/^Request too large/);
    expect(server?.requests.map((request) => request.outcome)).toEqual([
      'insufficient_quota',
      'server_error',
      'context_length',
      'request_too_large',
    ]);
  });

  it('breaks content on request: malformed JSON, off-taxonomy labels, missing items', async () => {
    await start();
    server?.enqueue(
      { kind: 'malformed_json' },
      { kind: 'off_taxonomy', mode: 'variant' },
      { kind: 'off_taxonomy', mode: 'invented' },
      { kind: 'missing_items' },
    );
    const malformed = (await (await post('/v1/chat/completions', chatBody())).json()) as ChatCompletion;
    expect(() => JSON.parse(malformed.choices[0]?.message.content ?? '')).toThrow();
    const variant = (await chatContent(await post('/v1/chat/completions', chatBody()))) as Record<
      string,
      { domain: string }
    >;
    expect(variant['item-2']?.domain).toBe('HEALTH AND WELLNESS');
    const invented = (await chatContent(await post('/v1/chat/completions', chatBody()))) as Record<
      string,
      { domain: string }
    >;
    expect(invented['item-1']?.domain).toMatch(/^invented_label_/);
    const missing = (await chatContent(await post('/v1/chat/completions', chatBody()))) as Record<string, unknown>;
    expect(Object.keys(missing)).toEqual(['item-1']);
  });

  it('cuts an answer off with finish_reason length', async () => {
    await start();
    const whole =
      ((await (await post('/v1/chat/completions', chatBody())).json()) as ChatCompletion).choices[0]?.message.content ??
      '';
    server?.enqueue({ kind: 'truncated' });
    const cut = ((await (await post('/v1/chat/completions', chatBody())).json()) as ChatCompletion).choices[0];
    expect(cut?.finish_reason).toBe('length');
    expect(whole.startsWith(cut?.message.content ?? 'x')).toBe(true);
    expect(cut?.message.content.length).toBeLessThan(whole.length);
  });

  it('rejects json_schema like an endpoint without Structured Outputs, but serves json_object', async () => {
    await start({ faults: { rejectJsonSchema: true } });
    const rejected = await post('/v1/chat/completions', chatBody());
    expect(rejected.status).toBe(400);
    expect(((await rejected.json()) as { error: { param: string } }).error.param).toBe('response_format');
    const accepted = await post('/v1/chat/completions', chatBody({ response_format: { type: 'json_object' } }));
    expect(accepted.status).toBe(200);
  });

  it('hangs until the client gives up, and close() ends the hanging connection', async () => {
    await start();
    server?.enqueue({ kind: 'hang' });
    const aborted = post('/v1/chat/completions', chatBody()).then(
      () => 'answered',
      () => 'failed',
    );
    // Wait (bounded) until the request has arrived, then close the server under it.
    for (let attempt = 0; attempt < 200 && server?.requests.length === 0; attempt += 1)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(server?.requests[0]?.outcome).toBe('hang');
    await server?.close();
    expect(await aborted).toBe('failed');
  });

  it('changes standing faults at runtime', async () => {
    await start();
    server?.setFaults({ behaviour: { kind: 'server_error' } });
    expect((await post('/v1/chat/completions', chatBody())).status).toBe(500);
    expect((await post('/v1/chat/completions', chatBody())).status).toBe(500);
    server?.setFaults({});
    expect((await post('/v1/chat/completions', chatBody())).status).toBe(200);
  });

  it('enforces requests per minute with rate-limit headers on every response', async () => {
    await start({ faults: { rateLimits: { requestsPerMinute: 2, tokensPerMinute: 100_000 } } });
    const first = await post('/v1/chat/completions', chatBody());
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?s$/);
    expect((await post('/v1/chat/completions', chatBody())).status).toBe(200);
    const limited = await post('/v1/chat/completions', chatBody());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(((await limited.json()) as { error: { type: string } }).error.type).toBe('requests');
  });

  it('drops connections while down, records charged tokens, and slows down with the prompt size', async () => {
    await start({ faults: { down: true } });
    const failed = await post('/v1/chat/completions', chatBody()).then(
      () => 'answered',
      () => 'failed',
    );
    expect(failed).toBe('failed');
    expect(server?.requests[0]?.outcome).toBe('down');
    server?.setFaults({ rateLimits: { tokensPerMinute: 100_000 }, latencyPerPromptTokenMs: 0.01 });
    const answered = await post('/v1/chat/completions', chatBody({ max_completion_tokens: 100 }));
    expect(answered.status).toBe(200);
    const body = (await answered.json()) as ChatCompletion;
    const record = server?.requests[1];
    expect(record?.chargedTokens).toBe(body.usage.prompt_tokens + 100);
    expect(record?.receivedAt).toBeGreaterThan(0);
  });

  it('enforces limits without x-ratelimit-* headers when told, charging max_tokens like max_completion_tokens', async () => {
    await start({ faults: { rateLimits: { tokensPerMinute: 1000, headers: false } } });
    const first = await post('/v1/chat/completions', chatBody({ max_tokens: 600 }));
    expect(first.status).toBe(200);
    expect([...first.headers.keys()].filter((name) => name.startsWith('x-ratelimit-'))).toEqual([]);
    const usage = ((await first.json()) as ChatCompletion).usage;
    expect(server?.requests[0]?.chargedTokens).toBe(usage.prompt_tokens + 600);
    // The unused part of the 600 stays charged: the next request of the same size does not fit.
    const second = await post('/v1/chat/completions', chatBody({ max_tokens: 600 }));
    expect(second.status).toBe(429);
    expect([...second.headers.keys()].filter((name) => name.startsWith('x-ratelimit-'))).toEqual([]);
  });

  it('leaves "try again in" out of a 429 message when told, so only the headers say how long', async () => {
    await start();
    server?.enqueue({
      kind: 'rate_limited',
      type: 'tokens',
      retryAfterMs: 360_000,
      retryAfterHeader: 'none',
      messageHint: false,
    });
    const limited = await post('/v1/chat/completions', chatBody());
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(limited.headers.get('x-ratelimit-reset-tokens')).toBe('6m0s');
    expect(((await limited.json()) as { error: { message: string } }).error.message).not.toMatch(/try again/i);
  });

  it('refuses a request larger than the whole tokens-per-minute limit', async () => {
    await start({ faults: { rateLimits: { tokensPerMinute: 50 } } });
    const response = await post('/v1/chat/completions', chatBody());
    expect(response.status).toBe(429);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('Limit 50');
    expect(server?.requests[0]?.outcome).toBe('request_too_large');
  });
});

describe('FakeOpenAiServer endpoints', () => {
  it('serves Azure deployment paths, requires api-version and checks the api-key header', async () => {
    await start({ apiKey: 'azure-secret-key' });
    const path = '/openai/deployments/my-deployment/chat/completions';
    const { model: _model, ...body } = chatBody();
    const ok = await post(`${path}?api-version=2024-10-21`, body, { authorization: '', 'api-key': 'azure-secret-key' });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as ChatCompletion).model).toBe('my-deployment');
    expect(server?.requests[0]).toMatchObject({
      deployment: 'my-deployment',
      apiVersion: '2024-10-21',
      authentication: 'api-key',
    });
    expect(JSON.stringify(server?.requests[0])).not.toContain('azure-secret-key');
    expect((await post(path, body, { 'api-key': 'azure-secret-key' })).status).toBe(404);
    expect((await post(`${path}?api-version=2024-10-21`, body, { 'api-key': 'wrong' })).status).toBe(401);
  });

  it('streams chat completions as server-sent events', async () => {
    await start({ chatReply: 'a streamed answer that is longer than one piece' });
    const response = await post('/v1/chat/completions', {
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = (await response.text()).split('\n\n').filter((event) => event.startsWith('data: '));
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events
      .slice(0, -1)
      .map((event) => JSON.parse(event.slice(6)) as { choices: { delta: { content?: string } }[]; usage?: unknown });
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(
      'a streamed answer that is longer than one piece',
    );
    expect(chunks.at(-1)?.usage).toBeDefined();
  });

  it('serves a minimal Responses API, plain and streamed', async () => {
    await start({ chatReply: 'hello from responses' });
    const plain = (await (
      await post('/v1/responses', { model: 'm', input: 'hi', instructions: 'be brief' })
    ).json()) as {
      output: { content: { text: string }[] }[];
      usage: { input_tokens: number };
    };
    expect(plain.output[0]?.content[0]?.text).toBe('hello from responses');
    expect(plain.usage.input_tokens).toBeGreaterThan(0);
    const structured = (await (
      await post('/v1/responses', {
        model: 'm',
        input: [{ role: 'user', content: userMessage }],
        text: { format: { type: 'json_schema', name: 'x', schema: outputSchema } },
      })
    ).json()) as { output: { content: { text: string }[] }[] };
    expect(validAgainst(outputSchema, JSON.parse(structured.output[0]?.content[0]?.text ?? ''))).toBe(true);
    const streamed = await (await post('/v1/responses', { model: 'm', input: 'hi', stream: true })).text();
    expect(streamed).toContain('event: response.output_text.delta');
    expect(streamed).toContain('event: response.completed');
  });

  it('lists models, 404s unknown paths and records requests without credentials', async () => {
    await start();
    const models = (await (
      await fetch(`${server?.baseUrl}/models`, { headers: { authorization: 'Bearer sk-secret' } })
    ).json()) as { data: { id: string }[] };
    expect(models.data.map((model) => model.id)).toContain('gpt-4o-mini');
    expect((await post('/v1/embeddings', {})).status).toBe(404);
    expect(server?.requests[0]?.headers.authorization).toBeUndefined();
    expect(server?.requests[0]?.authentication).toBe('bearer');
  });
});
