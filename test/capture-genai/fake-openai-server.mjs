// A tiny deterministic OpenAI-compatible server for capturing fixtures: chat completions and
// the Responses API, non-streaming. With tools on offer and no tool result yet it asks for
// `get_weather`; once the tool answered it replies with text.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

export const weatherAnswer = 'It is rainy and 14°C in Paris right now, so pack an umbrella.';

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function chatCompletion(body, sequence) {
  const messages = body.messages ?? [];
  const last = messages.at(-1);
  const wantsTool = (body.tools?.length ?? 0) > 0 && last?.role !== 'tool';
  const message = wantsTool
    ? {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: 'call_weather_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
          },
        ],
      }
    : { role: 'assistant', content: last?.role === 'tool' ? weatherAnswer : 'Happy to help with that.', refusal: null };
  return {
    id: `chatcmpl-fixture-${sequence}`,
    object: 'chat.completion',
    created: 1767225600 + sequence,
    model: `${body.model}-2024-07-18`,
    system_fingerprint: 'fp_fixture',
    choices: [{ index: 0, message, logprobs: null, finish_reason: wantsTool ? 'tool_calls' : 'stop' }],
    usage: {
      prompt_tokens: 50 + sequence,
      completion_tokens: wantsTool ? 17 : 16,
      total_tokens: 50 + sequence + (wantsTool ? 17 : 16),
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    },
  };
}

function response(body, sequence) {
  const input = Array.isArray(body.input) ? body.input : [{ role: 'user', content: body.input }];
  const answered = input.some((item) => item.type === 'function_call_output');
  const wantsTool = (body.tools?.length ?? 0) > 0 && !answered;
  const output = wantsTool
    ? [
        {
          type: 'function_call',
          id: `fc_fixture_${sequence}`,
          call_id: 'call_weather_1',
          name: 'get_weather',
          arguments: '{"location":"Paris"}',
          status: 'completed',
        },
      ]
    : [
        {
          type: 'message',
          id: `msg_fixture_${sequence}`,
          status: 'completed',
          role: 'assistant',
          content: [
            { type: 'output_text', text: answered ? weatherAnswer : 'Happy to help with that.', annotations: [] },
          ],
        },
      ];
  return {
    id: `resp_fixture_${sequence}`,
    object: 'response',
    created_at: 1767225600 + sequence,
    status: 'completed',
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    model: `${body.model}-2024-07-18`,
    output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: true,
    temperature: body.temperature ?? 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: body.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage: {
      input_tokens: 60 + sequence,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 18,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 78 + sequence,
    },
    user: null,
    metadata: {},
  };
}

/** Starts the server on an ephemeral loopback port; `requests` records what clients sent. */
export async function startFakeOpenAi() {
  const requests = [];
  let sequence = 0;
  const server = createServer(async (request, reply) => {
    const text = await readBody(request);
    let body = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      reply.writeHead(400).end();
      return;
    }
    requests.push({ path: request.url, body });
    sequence += 1;
    const path = (request.url ?? '').split('?')[0];
    let payload;
    if (path.endsWith('/chat/completions')) payload = chatCompletion(body, sequence);
    else if (path.endsWith('/responses')) payload = response(body, sequence);
    else {
      reply.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    reply.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req_${sequence}` });
    reply.end(JSON.stringify(payload));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
