import type { Span } from '@semtel/pdata';
import { getStringAttribute } from '@semtel/pdata';
import { parseLenientJson } from './lenient-json.js';
import { isRecord } from './plain-value.js';

/** Attributes holding the request's parameters as JSON (OpenInference), where `response_format` shows. */
const requestParameterKeys = ['llm.invocation_parameters', 'input.value'];

/**
 * Whether the span's request asked for structured output with the JSON schema called `name`:
 * Chat Completions `response_format.json_schema.name`, or Responses `text.format.name`.
 */
export function requestsOutputSchema(span: Span, name: string): boolean {
  for (const key of requestParameterKeys) {
    const text = getStringAttribute(span.attributes, key);
    // Most spans never mention the name: the substring test spares them a parse.
    if (text === undefined || !text.includes(name)) continue;
    const parameters = parseLenientJson(text);
    if (!isRecord(parameters)) continue;
    if (schemaName(parameters.response_format) === name) return true;
    const textOptions = parameters.text;
    if (isRecord(textOptions) && isRecord(textOptions.format) && textOptions.format.name === name) return true;
  }
  return false;
}

function schemaName(responseFormat: unknown): unknown {
  if (!isRecord(responseFormat) || !isRecord(responseFormat.json_schema)) return undefined;
  return responseFormat.json_schema.name;
}
