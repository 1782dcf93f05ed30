// The conversation every producer records: a system prompt, an earlier exchange, a question
// that needs the `get_weather` tool, the tool call and its result, then the final answer.
export const systemPrompt = 'You are a concise travel assistant. Use the weather tool for weather questions.';

export const earlierTurns = [
  { role: 'user', content: 'Hi! I am planning a weekend in Paris.' },
  { role: 'assistant', content: 'Lovely! How can I help with your Paris weekend?' },
  { role: 'user', content: 'What is the weather like in Paris right now?' },
];

export const weatherToolResult = 'rainy, 14°C';

export const chatTools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
    },
  },
];

export const responsesTools = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
    strict: false,
  },
];

/** Two chat-completions calls with the openai client: one that asks for the tool, one that answers. */
export async function runChatConversation(client) {
  const messages = [{ role: 'system', content: systemPrompt }, ...earlierTurns];
  const first = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages,
    tools: chatTools,
    temperature: 0.2,
  });
  const assistant = first.choices[0].message;
  const followUp = [
    ...messages,
    { role: 'assistant', content: assistant.content, tool_calls: assistant.tool_calls },
    { role: 'tool', tool_call_id: assistant.tool_calls[0].id, content: weatherToolResult },
  ];
  const second = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: followUp,
    tools: chatTools,
    temperature: 0.2,
  });
  return { first, second };
}

/** Two Responses API calls: `instructions` as the system prompt, a tool call, then its output. */
export async function runResponsesConversation(client) {
  const input = earlierTurns.map((turn) => ({ role: turn.role, content: turn.content }));
  const first = await client.responses.create({
    model: 'gpt-4o-mini',
    instructions: systemPrompt,
    input,
    tools: responsesTools,
  });
  const call = first.output.find((item) => item.type === 'function_call');
  const second = await client.responses.create({
    model: 'gpt-4o-mini',
    instructions: systemPrompt,
    input: [
      ...input,
      { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
      { type: 'function_call_output', call_id: call.call_id, output: weatherToolResult },
    ],
    tools: responsesTools,
  });
  return { first, second };
}
