import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { countTokens, encode } from 'gpt-tokenizer';
import { answerFromSchema, findJsonObjects } from './fake-openai-server-answer.js';
import type { EnumAnswerMode } from './fake-openai-server-answer.js';
import { FakeRateLimiter, formatGoDuration } from './fake-openai-server-rate-limits.js';
import type { FakeRateLimits } from './fake-openai-server-rate-limits.js';

/** One misbehaviour of the fake, either queued for the next model request or applied to every one. */
export type FakeOpenAiBehaviour =
  /**
   * 429 `rate_limit_exceeded` with a "Please try again in …" message. `retryAfterHeader` picks how the
   * delay is also sent: `seconds` (`retry-after`, rounded up, as OpenAI), `milliseconds` (`retry-after-ms`,
   * as Azure), `both` or `none`. `rateLimitHeaders` adds `x-ratelimit-*` (default true); `messageHint:
   * false` leaves "try again in" out of the message, so only the headers describe the wait.
   */
  | {
      kind: 'rate_limited';
      type?: 'requests' | 'tokens';
      retryAfterMs?: number;
      retryAfterHeader?: 'seconds' | 'milliseconds' | 'both' | 'none';
      rateLimitHeaders?: boolean;
      messageHint?: boolean;
    }
  /** 429 with `insufficient_quota`: billing, must not be retried. */
  | { kind: 'insufficient_quota' }
  /** 5xx (default 500) with an OpenAI `server_error` body; 503 gets `server_is_overloaded`. */
  | { kind: 'server_error'; status?: number; retryAfterSeconds?: number }
  /** 400 `context_length_exceeded`. */
  | { kind: 'context_length' }
  /** 429 "Request too large … on tokens per min (TPM)": one request above the whole TPM limit. */
  | { kind: 'request_too_large' }
  /** 400 as an endpoint without Structured Outputs answers a `json_schema` response format. */
  | { kind: 'reject_json_schema' }
  /** 200 whose content looks like JSON but is not (`"key" = value`): nothing in it can be parsed. */
  | { kind: 'malformed_json' }
  /** 200 with the answer cut off halfway and `finish_reason: length`, as when `max_tokens` runs out. */
  | { kind: 'truncated' }
  /** 200 whose enum values are respelled (`variant`, e.g. `HEALTH AND WELLNESS`) or made up (`invented`). */
  | { kind: 'off_taxonomy'; mode?: Exclude<EnumAnswerMode, 'faithful'> }
  /** 200 with the last `count` (default 1) top-level properties left out. */
  | { kind: 'missing_items'; count?: number }
  /** Never answers; the connection stays open until the client gives up or the server closes. */
  | { kind: 'hang' }
  /** Answers normally after an extra delay. */
  | { kind: 'delay'; ms: number }
  /** 200 with exactly this message content. */
  | { kind: 'content'; content: string; finishReason?: 'stop' | 'length' | 'content_filter' };

/** Faults that apply to every model request until changed with `setFaults`. */
export interface FakeOpenAiFaults {
  /** Fixed delay before each answer. */
  latencyMs?: number;
  /** Extra delay per output token, to mimic generation time. */
  latencyPerOutputTokenMs?: number;
  /** Extra delay per prompt token (prefill), so latency grows with the request's size. */
  latencyPerPromptTokenMs?: number;
  /** The endpoint is down: every model request's connection is dropped without an answer. */
  down?: boolean;
  /** Answer every `json_schema` response format with a 400, like endpoints that lack Structured Outputs. */
  rejectJsonSchema?: boolean;
  /** RPM/TPM enforcement; when set, every model response carries `x-ratelimit-*` headers. */
  rateLimits?: FakeRateLimits;
  /** A behaviour for every request the one-shot queue does not cover. */
  behaviour?: FakeOpenAiBehaviour;
}

export interface FakeChatMessage {
  role: string;
  text: string;
}

export interface FakeOpenAiServerOptions {
  faults?: FakeOpenAiFaults;
  /** When set, requests must carry this key (`Authorization: Bearer` or Azure's `api-key`) or get a 401. */
  apiKey?: string;
  /** Ids listed by `GET /v1/models`. */
  models?: string[];
  /** The reply to requests without a response format (apps under test using the fake as their model). */
  chatReply?: string | ((messages: FakeChatMessage[]) => string);
  /** The schema to answer `json_object` requests with; by default one written into the prompt is used. */
  jsonObjectSchema?: (messages: FakeChatMessage[]) => Record<string, unknown> | undefined;
  maximumBodyBytes?: number;
}

export interface FakeOpenAiUsage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

/** A request as the fake saw it. Credentials are never recorded; `authentication` says how it came. */
export interface FakeOpenAiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  endpoint: 'chat.completions' | 'responses' | 'models' | 'unknown';
  authentication: 'bearer' | 'api-key' | 'none';
  deployment?: string;
  apiVersion?: string;
  responseFormat?: 'json_schema' | 'json_object' | 'text';
  stream?: boolean;
  /** What the fake did: `ok`, a behaviour kind, or another error name. Unset while unanswered. */
  outcome?: string;
  /** When the request arrived (epoch ms). */
  receivedAt?: number;
  /** Tokens charged against the TPM limit (prompt + max output), when the rate limiter admitted it. */
  chargedTokens?: number;
  status?: number;
  usage?: FakeOpenAiUsage;
}

interface ModelCall {
  model: string;
  messages: FakeChatMessage[];
  format: { type: 'json_schema'; schema: unknown } | { type: 'json_object' } | { type: 'text' };
  maximumOutputTokens: number;
  stream: boolean;
  includeUsage: boolean;
}

interface ErrorBody {
  message: string;
  type: string;
  param?: string | null;
  code: string | null;
}

const secretHeaders = new Set(['authorization', 'api-key', 'x-api-key', 'cookie', 'proxy-authorization']);
const cacheMinimumTokens = 1024;
const cacheBlockTokens = 128;
const cacheHistoryLimit = 64;
const organization = 'org-semtel-fake';
// The OpenAI cookbook counts three tokens of reply priming on every chat prompt.
const replyPrimingTokens = 3;

/**
 * A fake OpenAI-compatible endpoint on 127.0.0.1 for tests: chat completions (OpenAI, `/chat/completions`
 * and Azure deployment paths), a minimal Responses API, model listing, schema-valid structured output,
 * real token counts with simulated prefix caching, and fault injection. See the package README.
 */
export class FakeOpenAiServer {
  /** Every request received, oldest first. */
  readonly requests: FakeOpenAiRequest[] = [];
  private readonly queue: FakeOpenAiBehaviour[] = [];
  private faults: FakeOpenAiFaults = {};
  private limiter: FakeRateLimiter | undefined;
  private readonly promptHistory: number[][] = [];
  private readonly closing = new AbortController();
  private sequence = 0;
  private port = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: FakeOpenAiServerOptions,
  ) {
    this.setFaults(options.faults ?? {});
    // Every paused answer listens on this signal; under load there are many at once.
    setMaxListeners(0, this.closing.signal);
  }

  static async start(options: FakeOpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
    const server = createServer();
    const fake = new FakeOpenAiServer(server, options);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      fake.handle(request, response).catch((error: unknown) => {
        if (response.headersSent) response.destroy();
        else
          response.writeHead(500, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              error: {
                message: `fake server error: ${String(error)}`,
                type: 'server_error',
                param: null,
                code: null,
              },
            }),
          );
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.port = (server.address() as AddressInfo).port;
    return fake;
  }

  /** `http://127.0.0.1:<port>`, also the Azure endpoint. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The OpenAI-style base URL, `<url>/v1`. */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  /** Queues behaviours for the next model requests, one each, in order. */
  enqueue(...behaviours: FakeOpenAiBehaviour[]): void {
    this.queue.push(...behaviours);
  }

  /** Replaces the standing faults. Setting `rateLimits` starts with full buckets. */
  setFaults(faults: FakeOpenAiFaults): void {
    this.faults = { ...faults };
    this.limiter = faults.rateLimits ? new FakeRateLimiter(faults.rateLimits) : undefined;
  }

  /** Model requests (chat completions and responses) received so far. */
  get modelRequests(): FakeOpenAiRequest[] {
    return this.requests.filter(
      (request) => request.endpoint === 'chat.completions' || request.endpoint === 'responses',
    );
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Stops listening and drops every connection, hanging ones included. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const record: FakeOpenAiRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: publicHeaders(request),
      body: undefined,
      endpoint: 'unknown',
      authentication: request.headers['api-key'] ? 'api-key' : request.headers.authorization ? 'bearer' : 'none',
    };
    record.receivedAt = Date.now();
    this.requests.push(record);
    const bodyText = await readBody(request, this.options.maximumBodyBytes ?? 16 * 1024 * 1024);
    if (bodyText === undefined) {
      return this.fail(response, record, 413, 'body_too_large', {
        message: 'Request body too large.',
        type: 'invalid_request_error',
        code: null,
      });
    }

    const azure = /^\/openai\/deployments\/([^/]+)(\/.*)$/.exec(url.pathname);
    const route = azure ? azure[2] : url.pathname.replace(/^\/v1(?=\/)/, '');
    if (azure) {
      record.deployment = decodeURIComponent(azure[1] as string);
      record.apiVersion = url.searchParams.get('api-version') ?? undefined;
    }
    if (request.method === 'GET' && route === '/models' && !azure) {
      record.endpoint = 'models';
      const models = this.options.models ?? ['gpt-4o-mini', 'fake-model'];
      return this.send(response, record, 200, 'ok', {
        object: 'list',
        data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'semtel-fake' })),
      });
    }
    const endpoint =
      route === '/chat/completions' ? 'chat.completions' : route === '/responses' && !azure ? 'responses' : undefined;
    if (request.method !== 'POST' || endpoint === undefined) {
      return this.fail(response, record, 404, 'not_found', {
        message: `Invalid URL (${request.method} ${url.pathname})`,
        type: 'invalid_request_error',
        code: null,
      });
    }
    record.endpoint = endpoint;
    if (azure && record.apiVersion === undefined) {
      return this.fail(response, record, 404, 'missing_api_version', {
        message: 'Resource not found',
        type: 'invalid_request_error',
        code: '404',
      });
    }
    if (this.options.apiKey !== undefined) {
      const presented = request.headers['api-key'] ?? request.headers.authorization?.replace(/^Bearer\s+/i, '');
      if (presented !== this.options.apiKey) {
        // The key is echoed in full on purpose: a worst-case server, so tests prove clients redact it.
        return this.fail(response, record, 401, 'authentication', {
          message: `Incorrect API key provided: ${String(presented)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        });
      }
    }
    let body: unknown;
    try {
      body = JSON.parse(bodyText);
    } catch {
      return this.fail(response, record, 400, 'invalid_json', {
        message: 'We could not parse the JSON body of your request.',
        type: 'invalid_request_error',
        code: null,
      });
    }
    record.body = body;
    const call = endpoint === 'chat.completions' ? chatCall(body, record.deployment) : responsesCall(body);
    record.responseFormat = call.format.type;
    record.stream = call.stream;
    await this.answer(response, record, call, endpoint);
  }

  private async answer(
    response: ServerResponse,
    record: FakeOpenAiRequest,
    call: ModelCall,
    endpoint: 'chat.completions' | 'responses',
  ): Promise<void> {
    const faults = this.faults;
    if (faults.down) {
      record.outcome = 'down';
      response.socket?.destroy();
      return;
    }
    const behaviour = this.queue.shift() ?? faults.behaviour;
    if (behaviour?.kind === 'hang') {
      record.outcome = 'hang';
      return;
    }
    if (behaviour?.kind === 'delay') await this.pause(behaviour.ms);
    if (faults.latencyMs) await this.pause(faults.latencyMs);
    if (this.closing.signal.aborted) return;

    const promptSequence = promptTokens(call);
    const promptTokenCount = promptSequence.length + replyPrimingTokens;
    if (this.limiter) {
      const verdict = this.limiter.admit(promptTokenCount + call.maximumOutputTokens);
      if (verdict.allowed) record.chargedTokens = promptTokenCount + call.maximumOutputTokens;
      if (!verdict.allowed && verdict.type === 'too_large') {
        return this.fail(
          response,
          record,
          429,
          'request_too_large',
          tooLargeBody(call.model, verdict.limit, verdict.requested),
        );
      }
      if (!verdict.allowed) {
        return this.rateLimited(response, record, call.model, {
          kind: 'rate_limited',
          type: verdict.type,
          retryAfterMs: verdict.retryAfterMs,
        });
      }
    }
    switch (behaviour?.kind) {
      case 'rate_limited':
        return this.rateLimited(response, record, call.model, behaviour);
      case 'insufficient_quota':
        return this.fail(response, record, 429, 'insufficient_quota', {
          message: 'You exceeded your current quota, please check your plan and billing details.',
          type: 'insufficient_quota',
          code: 'insufficient_quota',
        });
      case 'server_error': {
        const status = behaviour.status ?? 500;
        const headers: Record<string, string> =
          behaviour.retryAfterSeconds === undefined ? {} : { 'retry-after': String(behaviour.retryAfterSeconds) };
        const errorBody =
          status === 503
            ? {
                message: 'The server is overloaded or not ready yet.',
                type: 'service_unavailable_error',
                code: 'server_is_overloaded',
              }
            : {
                message: 'The server had an error while processing your request. Sorry about that!',
                type: 'server_error',
                code: null,
              };
        return this.fail(response, record, status, 'server_error', errorBody, headers);
      }
      case 'context_length':
        return this.fail(response, record, 400, 'context_length', {
          message: `This model's maximum context length is 128000 tokens. However, your messages resulted in ${promptTokenCount + 128_000} tokens. Please reduce the length of the messages.`,
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        });
      case 'request_too_large':
        return this.fail(
          response,
          record,
          429,
          'request_too_large',
          tooLargeBody(call.model, 1000, Math.max(promptTokenCount, 1001)),
        );
      default:
    }
    if (call.format.type === 'json_schema' && (behaviour?.kind === 'reject_json_schema' || faults.rejectJsonSchema)) {
      return this.fail(response, record, 400, 'reject_json_schema', {
        message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
        type: 'invalid_request_error',
        param: 'response_format',
        code: null,
      });
    }

    const { content, finishReason } = this.content(call, behaviour);
    const usage: FakeOpenAiUsage = {
      promptTokens: promptTokenCount,
      completionTokens: countTokens(content),
      cachedTokens: this.cachedTokens(promptSequence),
    };
    if (faults.latencyPerPromptTokenMs) await this.pause(faults.latencyPerPromptTokenMs * usage.promptTokens);
    if (faults.latencyPerOutputTokenMs) await this.pause(faults.latencyPerOutputTokenMs * usage.completionTokens);
    if (this.closing.signal.aborted) return;
    record.usage = usage;
    const outcome = behaviour && behaviour.kind !== 'delay' ? behaviour.kind : 'ok';
    const id = `${endpoint === 'responses' ? 'resp' : 'chatcmpl'}-fake-${++this.sequence}`;
    if (endpoint === 'responses') {
      const result = responseObject(id, call.model, content, usage, 'completed');
      if (call.stream) return this.streamResponses(response, record, outcome, result, content);
      return this.send(response, record, 200, outcome, result);
    }
    if (call.stream) return this.streamChat(response, record, outcome, id, call, content, finishReason, usage);
    return this.send(response, record, 200, outcome, {
      id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: call.model,
      system_fingerprint: 'fp_semtel_fake',
      service_tier: 'default',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage: chatUsage(usage),
    });
  }

  private content(
    call: ModelCall,
    behaviour: FakeOpenAiBehaviour | undefined,
  ): { content: string; finishReason: string } {
    if (behaviour?.kind === 'content')
      return { content: behaviour.content, finishReason: behaviour.finishReason ?? 'stop' };
    if (call.format.type === 'text') {
      const reply = this.options.chatReply;
      const text = typeof reply === 'function' ? reply(call.messages) : (reply ?? defaultChatReply(call.messages));
      return { content: text, finishReason: 'stop' };
    }
    let userText = call.messages
      .filter((message) => message.role === 'user')
      .map((message) => message.text)
      .join('\n');
    let schema: unknown;
    if (call.format.type === 'json_schema') schema = call.format.schema;
    else {
      schema = this.options.jsonObjectSchema?.(call.messages);
      if (schema === undefined) {
        const embedded = findJsonObjects(call.messages.map((message) => message.text).join('\n')).filter(
          (found) => typeof found.value.properties === 'object' && found.value.type === 'object',
        );
        schema = embedded.at(-1)?.value ?? {};
        // The schema's own text names every label; leave it out of the transcripts labels are matched against.
        for (const found of embedded) userText = userText.replace(found.text, '');
      }
    }
    const contexts = itemContexts(userText, schema);
    const enumMode = behaviour?.kind === 'off_taxonomy' ? (behaviour.mode ?? 'invented') : 'faithful';
    const answer = answerFromSchema(schema, { contextFor: (path) => contexts.get(path[0] ?? '') ?? '', enumMode });
    if (behaviour?.kind === 'missing_items' && typeof answer === 'object' && answer !== null) {
      const keys = Object.keys(answer);
      for (const key of keys.slice(Math.max(0, keys.length - (behaviour.count ?? 1))))
        delete (answer as Record<string, unknown>)[key];
    }
    const content = JSON.stringify(answer);
    if (behaviour?.kind === 'malformed_json') return { content: content.replaceAll('":', '" ='), finishReason: 'stop' };
    if (behaviour?.kind === 'truncated')
      return { content: content.slice(0, Math.max(1, Math.floor(content.length / 2))), finishReason: 'length' };
    return { content, finishReason: 'stop' };
  }

  /** Cached tokens: the longest prefix shared with an earlier prompt, in 128-token blocks, from 1024 tokens. */
  private cachedTokens(sequence: number[]): number {
    let longest = 0;
    for (const earlier of this.promptHistory) {
      const limit = Math.min(earlier.length, sequence.length);
      let index = 0;
      while (index < limit && earlier[index] === sequence[index]) index += 1;
      longest = Math.max(longest, index);
    }
    this.promptHistory.push(sequence);
    if (this.promptHistory.length > cacheHistoryLimit) this.promptHistory.shift();
    const cached = Math.floor(longest / cacheBlockTokens) * cacheBlockTokens;
    return cached >= cacheMinimumTokens ? cached : 0;
  }

  private rateLimited(
    response: ServerResponse,
    record: FakeOpenAiRequest,
    model: string,
    behaviour: Extract<FakeOpenAiBehaviour, { kind: 'rate_limited' }>,
  ): void {
    const type = behaviour.type ?? 'requests';
    const retryAfterMs = behaviour.retryAfterMs ?? 1200;
    const headers: Record<string, string> = {};
    const retryAfterHeader = behaviour.retryAfterHeader ?? 'seconds';
    if (retryAfterHeader === 'seconds' || retryAfterHeader === 'both')
      headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
    if (retryAfterHeader === 'milliseconds' || retryAfterHeader === 'both')
      headers['retry-after-ms'] = String(retryAfterMs);
    if ((behaviour.rateLimitHeaders ?? true) && !this.limiter) {
      headers['x-ratelimit-limit-requests'] = '60';
      headers['x-ratelimit-limit-tokens'] = '200000';
      headers['x-ratelimit-remaining-requests'] = type === 'requests' ? '0' : '59';
      headers['x-ratelimit-remaining-tokens'] = type === 'tokens' ? '0' : '199000';
      headers['x-ratelimit-reset-requests'] = type === 'requests' ? formatGoDuration(retryAfterMs) : '1s';
      headers['x-ratelimit-reset-tokens'] = type === 'tokens' ? formatGoDuration(retryAfterMs) : '6m0s';
    }
    const unit =
      type === 'requests'
        ? 'requests per min (RPM): Limit 60, Used 60, Requested 1'
        : 'tokens per min (TPM): Limit 200000, Used 199500, Requested 1200';
    this.fail(
      response,
      record,
      429,
      'rate_limited',
      {
        message: `Rate limit reached for ${model} in organization ${organization} on ${unit}.${behaviour.messageHint === false ? '' : ` Please try again in ${formatGoDuration(retryAfterMs)}.`} Visit https://platform.openai.com/account/rate-limits to learn more.`,
        type,
        param: null,
        code: 'rate_limit_exceeded',
      },
      headers,
    );
  }

  private fail(
    response: ServerResponse,
    record: FakeOpenAiRequest,
    status: number,
    outcome: string,
    error: ErrorBody,
    headers: Record<string, string> = {},
  ): void {
    this.send(response, record, status, outcome, { error: { param: null, ...error } }, headers);
  }

  private send(
    response: ServerResponse,
    record: FakeOpenAiRequest,
    status: number,
    outcome: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    record.status = status;
    record.outcome = outcome;
    response.writeHead(status, { ...this.commonHeaders(record), ...headers, 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  private commonHeaders(record: FakeOpenAiRequest): Record<string, string> {
    const limits =
      record.endpoint === 'chat.completions' || record.endpoint === 'responses' ? (this.limiter?.headers() ?? {}) : {};
    return {
      'x-request-id': `req_fake_${this.requests.indexOf(record) + 1}`,
      'openai-organization': organization,
      ...limits,
    };
  }

  private streamChat(
    response: ServerResponse,
    record: FakeOpenAiRequest,
    outcome: string,
    id: string,
    call: ModelCall,
    content: string,
    finishReason: string,
    usage: FakeOpenAiUsage,
  ): void {
    record.status = 200;
    record.outcome = outcome;
    response.writeHead(200, {
      ...this.commonHeaders(record),
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
    });
    const created = Math.floor(Date.now() / 1000);
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: call.model, system_fingerprint: 'fp_semtel_fake', choices, ...extra })}\n\n`;
    response.write(
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
    );
    for (const piece of pieces(content))
      response.write(chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]));
    response.write(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }]));
    if (call.includeUsage) response.write(chunk([], { usage: chatUsage(usage) }));
    response.end('data: [DONE]\n\n');
  }

  private streamResponses(
    response: ServerResponse,
    record: FakeOpenAiRequest,
    outcome: string,
    result: ResponseObject,
    content: string,
  ): void {
    record.status = 200;
    record.outcome = outcome;
    response.writeHead(200, {
      ...this.commonHeaders(record),
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
    });
    let sequenceNumber = 0;
    const event = (type: string, data: Record<string, unknown>): void => {
      response.write(
        `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequenceNumber++, ...data })}\n\n`,
      );
    };
    const item = result.output[0];
    const inProgress = { ...result, status: 'in_progress', output: [], usage: null };
    event('response.created', { response: inProgress });
    event('response.in_progress', { response: inProgress });
    event('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
    const part = { item_id: item.id, output_index: 0, content_index: 0 };
    event('response.content_part.added', { ...part, part: { type: 'output_text', text: '', annotations: [] } });
    for (const piece of pieces(content)) event('response.output_text.delta', { ...part, delta: piece, logprobs: [] });
    event('response.output_text.done', { ...part, text: content, logprobs: [] });
    event('response.content_part.done', { ...part, part: { type: 'output_text', text: content, annotations: [] } });
    event('response.output_item.done', { output_index: 0, item });
    event('response.completed', { response: result });
    response.end();
  }

  private async pause(milliseconds: number): Promise<void> {
    if (milliseconds <= 0 || this.closing.signal.aborted) return;
    await sleep(milliseconds, undefined, { signal: this.closing.signal }).catch(() => undefined);
  }
}

interface ResponseObject {
  id: string;
  output: [{ id: string; [key: string]: unknown }];
  [key: string]: unknown;
}

function responseObject(
  id: string,
  model: string,
  content: string,
  usage: FakeOpenAiUsage,
  status: string,
): ResponseObject {
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    error: null,
    incomplete_details: null,
    model,
    output: [
      {
        id: `msg-${id}`,
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: content, annotations: [] }],
      },
    ],
    parallel_tool_calls: true,
    tools: [],
    usage: {
      input_tokens: usage.promptTokens,
      input_tokens_details: { cached_tokens: usage.cachedTokens },
      output_tokens: usage.completionTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.promptTokens + usage.completionTokens,
    },
  };
}

function chatUsage(usage: FakeOpenAiUsage): Record<string, unknown> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function tooLargeBody(model: string, limit: number, requested: number): ErrorBody {
  return {
    message: `Request too large for ${model} in organization ${organization} on tokens per min (TPM): Limit ${limit}, Requested ${requested}. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.`,
    type: 'tokens',
    param: null,
    code: 'rate_limit_exceeded',
  };
}

/**
 * The prompt as OpenAI sees it for caching: the response schema first, then the messages in order,
 * so a stable system message gives a shared prefix.
 */
function promptTokens(call: ModelCall): number[] {
  const schemaText = call.format.type === 'json_schema' ? JSON.stringify(call.format.schema) : '';
  return encode([schemaText, ...call.messages.map((message) => `<|${message.role}|>${message.text}`)].join('\n'));
}

/**
 * For each top-level property of the schema (an item id), the user text of its item: from where the
 * id is written as a delimiter (`id="…"` or `"…"`, else the last mention as a whole word) to the next item.
 */
function itemContexts(userText: string, schema: unknown): Map<string, string> {
  const contexts = new Map<string, string>();
  const properties =
    typeof schema === 'object' && schema !== null ? (schema as { properties?: unknown }).properties : undefined;
  if (typeof properties !== 'object' || properties === null) return contexts;
  const positions = Object.keys(properties)
    .map((id) => ({ id, at: itemPosition(userText, id) }))
    .filter((entry) => entry.at >= 0)
    .sort((left, right) => left.at - right.at);
  positions.forEach((entry, index) => {
    contexts.set(entry.id, userText.slice(entry.at + entry.id.length, positions[index + 1]?.at ?? userText.length));
  });
  return contexts;
}

function itemPosition(text: string, id: string): number {
  for (const delimited of [`id="${id}"`, `"${id}"`]) {
    const at = text.lastIndexOf(delimited);
    if (at >= 0) return at + delimited.indexOf(id);
  }
  const escaped = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let last = -1;
  for (const match of text.matchAll(new RegExp(`(?<![\\w-])${escaped}(?![\\w-])`, 'g'))) last = match.index;
  return last;
}

function chatCall(body: unknown, deployment: string | undefined): ModelCall {
  const request = asRecord(body);
  const messages = Array.isArray(request.messages)
    ? request.messages.map((message) => {
        const entry = asRecord(message);
        return { role: String(entry.role ?? 'user'), text: messageText(entry.content) };
      })
    : [];
  const format = asRecord(request.response_format);
  const jsonSchema = asRecord(format.json_schema);
  const streamOptions = asRecord(request.stream_options);
  return {
    model: typeof request.model === 'string' ? request.model : (deployment ?? 'fake-model'),
    messages,
    format:
      format.type === 'json_schema'
        ? { type: 'json_schema', schema: jsonSchema.schema ?? {} }
        : format.type === 'json_object'
          ? { type: 'json_object' }
          : { type: 'text' },
    maximumOutputTokens: numberOr(request.max_completion_tokens, numberOr(request.max_tokens, 0)),
    stream: request.stream === true,
    includeUsage: streamOptions.include_usage === true,
  };
}

function responsesCall(body: unknown): ModelCall {
  const request = asRecord(body);
  const messages: FakeChatMessage[] = [];
  if (typeof request.instructions === 'string') messages.push({ role: 'system', text: request.instructions });
  if (typeof request.input === 'string') messages.push({ role: 'user', text: request.input });
  else if (Array.isArray(request.input)) {
    for (const item of request.input) {
      const entry = asRecord(item);
      if (entry.role !== undefined) messages.push({ role: String(entry.role), text: messageText(entry.content) });
    }
  }
  const format = asRecord(asRecord(request.text).format);
  return {
    model: typeof request.model === 'string' ? request.model : 'fake-model',
    messages,
    format:
      format.type === 'json_schema'
        ? { type: 'json_schema', schema: format.schema ?? {} }
        : format.type === 'json_object'
          ? { type: 'json_object' }
          : { type: 'text' },
    maximumOutputTokens: numberOr(request.max_output_tokens, 0),
    stream: request.stream === true,
    includeUsage: true,
  };
}

function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      const entry = asRecord(part);
      return typeof entry.text === 'string' ? entry.text : '';
    })
    .join('\n');
}

function defaultChatReply(messages: FakeChatMessage[]): string {
  const last = messages.filter((message) => message.role === 'user').at(-1)?.text ?? '';
  const topic = last.replace(/\s+/g, ' ').trim().slice(0, 80);
  return `This is a fake answer from the semtel test model about: ${topic}`;
}

function pieces(text: string): string[] {
  const result: string[] = [];
  for (let index = 0; index < text.length; index += 16) result.push(text.slice(index, index + 16));
  return result;
}

function publicHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (secretHeaders.has(name) || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(request: IncomingMessage, maximumBytes: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maximumBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
