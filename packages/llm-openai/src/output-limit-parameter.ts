/** The request field that caps a completion's output: OpenAI's current name, or the older one. */
export type OutputLimitParameter = 'max_completion_tokens' | 'max_tokens';

/** `auto` picks by endpoint (below) and switches once when the endpoint refuses the one sent. */
export type OutputLimitParameterSetting = OutputLimitParameter | 'auto';

/** Azure accepts `max_completion_tokens` from this api-version on (its o1 release); older ones only `max_tokens`. */
const azureMaxCompletionTokensSince = '2024-09-01';

/**
 * The output-cap field to start with for an endpoint. OpenAI: `max_completion_tokens` (`max_tokens` is
 * deprecated and refused by reasoning models). Azure: the same from api-version 2024-09-01(-preview)
 * on, `max_tokens` before. Anything else (vLLM, Ollama, LiteLLM, gateways): `max_tokens`, the field
 * every OpenAI-compatible server reads (Ollama documents only this one).
 */
export function chooseOutputLimitParameter(
  setting: OutputLimitParameterSetting,
  endpoint: { baseUrl: string | undefined; azure: { api_version: string } | undefined },
): OutputLimitParameter {
  if (setting !== 'auto') return setting;
  if (endpoint.azure)
    return endpoint.azure.api_version >= azureMaxCompletionTokensSince ? 'max_completion_tokens' : 'max_tokens';
  const host = endpoint.baseUrl === undefined ? 'api.openai.com' : new URL(endpoint.baseUrl).hostname;
  return host === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens';
}

/** The other field, for when the endpoint refuses the one sent. */
export function otherOutputLimitParameter(parameter: OutputLimitParameter): OutputLimitParameter {
  return parameter === 'max_tokens' ? 'max_completion_tokens' : 'max_tokens';
}
