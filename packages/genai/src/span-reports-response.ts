import type { Span } from '@semtel/pdata';
import { getAttribute, getNumberAttribute, getStringAttribute } from '@semtel/pdata';
import { outputTokenKeys } from './interaction-metadata.js';

/**
 * Whether the span says the model answered: finish reasons, output token usage or a response id.
 * Producers that send content as log records (the 1.28–1.36 events) set these on the span while
 * the `gen_ai.choice` record can still be on its way, so a span that reports a response but has no
 * output joined yet is worth waiting for.
 */
export function spanReportsResponse(span: Span): boolean {
  const finishReasons = getAttribute(span.attributes, 'gen_ai.response.finish_reasons');
  if (
    typeof finishReasons === 'string' ? finishReasons !== '' : Array.isArray(finishReasons) && finishReasons.length > 0
  )
    return true;
  // A count above zero means the model wrote something.
  for (const key of outputTokenKeys) {
    const count = getNumberAttribute(span.attributes, key);
    if (count !== undefined && count > 0) return true;
  }
  const responseId = getStringAttribute(span.attributes, 'gen_ai.response.id');
  return responseId !== undefined && responseId !== '';
}
