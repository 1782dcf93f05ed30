import type { InstrumentationScope, LogRecord, Span } from '@semtel/pdata';
import { extractLangfuse } from './extract-langfuse.js';
import { extractOpenInference } from './extract-openinference.js';
import { extractOpenLlmetry } from './extract-openllmetry.js';
import { extractOtelEvents } from './extract-otel-events.js';
import { extractOtelLatest } from './extract-otel-latest.js';
import { extractOtelLegacyPrompt } from './extract-otel-legacy-prompt.js';
import { extractVercelAi } from './extract-vercel-ai.js';
import type { GenAiEvent } from './gen-ai-events.js';
import { collectGenAiEvents } from './gen-ai-events.js';
import type { Interaction, InteractionContent, InteractionConvention } from './interaction.js';
import { hasContent } from './interaction.js';
import { extractInteractionMetadata } from './interaction-metadata.js';
import { isGenAiSpan } from './is-gen-ai-span.js';

type ConventionReader = (span: Span, events: readonly GenAiEvent[]) => InteractionContent | undefined;

/**
 * Content precedence when a span carries several conventions: explicit SDK-level I/O first
 * (Langfuse), then the current OTel semconv, then producer-specific forms, then the older OTel
 * forms. The first convention with any content supplies all of it; conventions are not mixed.
 */
const readers: readonly (readonly [InteractionConvention, ConventionReader])[] = [
  ['langfuse', (span) => extractLangfuse(span)],
  ['otel_latest', extractOtelLatest],
  ['vercel_ai', (span) => extractVercelAi(span)],
  ['openinference', (span) => extractOpenInference(span)],
  ['openllmetry', (span) => extractOpenLlmetry(span)],
  ['otel_events', (_span, events) => extractOtelEvents(events)],
  ['otel_legacy_prompt', extractOtelLegacyPrompt],
];

/**
 * The normalised interaction of a GenAI span, or undefined when the span is not a GenAI span
 * (see isGenAiSpan) or carries no content. `joinedEvents` are the log records whose
 * genAiEventSpanKey matches this span. Never throws: odd input yields less content, not an error.
 */
export function extractInteraction(
  span: Span,
  scope: InstrumentationScope,
  joinedEvents?: LogRecord[],
): Interaction | undefined {
  try {
    if (!isGenAiSpan(span, scope)) return undefined;
    const events = collectGenAiEvents(span, joinedEvents);
    for (const [convention, read] of readers) {
      const content = read(span, events);
      if (content === undefined) continue;
      const normalised = normaliseContent(content);
      if (!hasContent(normalised)) continue;
      return { convention, ...normalised, ...extractInteractionMetadata(span, scope, events) };
    }
    return undefined;
  } catch {
    // Malformed input must cost the span its classification, never the pipeline.
    return undefined;
  }
}

const systemRoles = new Set(['system', 'developer']);

/**
 * Leading system/developer messages become system instructions, and repeated instructions are
 * dropped, so the same request reads the same whether a producer kept the system prompt in the
 * history (OpenAI chat, OpenInference) or apart (`gen_ai.system_instructions`, Vercel `system`,
 * Responses `instructions`, which some producers report in both places).
 */
export function normaliseContent(content: InteractionContent): InteractionContent {
  const systemInstructions = [...content.systemInstructions];
  let first = 0;
  while (first < content.messages.length && systemRoles.has(content.messages[first]?.role ?? '')) {
    systemInstructions.push(content.messages[first]?.text ?? '');
    first += 1;
  }
  const seen = new Set<string>();
  const unique = systemInstructions.filter((text) => {
    const key = text.trim();
    if (key === '' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { systemInstructions: unique, messages: content.messages.slice(first), output: content.output };
}
