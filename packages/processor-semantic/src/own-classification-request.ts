import { classificationPromptMarker, classificationSchemaName } from '@semtel/classifier';
import type { Interaction } from '@semtel/genai';
import { requestsOutputSchema } from '@semtel/genai';
import type { AnyValue, LogRecord, Span } from '@semtel/pdata';
import { isKeyValueList } from '@semtel/pdata';

const needles = [classificationPromptMarker, classificationSchemaName];
/** Nesting followed when looking for the needles; content deeper than this is no chat request. */
const maximumDepth = 16;

/**
 * Whether the span is one of semtel's own classification requests, recorded by an instrumented
 * semtel or by another service's instrumentation (a gateway): its system instructions open with the
 * classification prompt's marker, or it asked for the classification output schema. Classifying it
 * would classify classification requests, each making another.
 */
export function isOwnClassificationRequest(span: Span, interaction: Interaction | undefined): boolean {
  if (interaction?.systemInstructions.some((text) => text.trimStart().startsWith(classificationPromptMarker))) {
    return true;
  }
  return requestsOutputSchema(span, classificationSchemaName);
}

/**
 * A cheap test that rules out almost every span before the interaction is extracted: whether the
 * marker or the schema name appears anywhere in the span's attributes, events or joined records.
 */
export function mentionsOwnClassification(span: Span, joined: readonly LogRecord[] | undefined): boolean {
  if (span.attributes.some((attribute) => mentions(attribute.value, 0))) return true;
  if (span.events.some((event) => event.attributes.some((attribute) => mentions(attribute.value, 0)))) return true;
  return (joined ?? []).some(
    (record) => mentions(record.body, 0) || record.attributes.some((attribute) => mentions(attribute.value, 0)),
  );
}

function mentions(value: AnyValue, depth: number): boolean {
  if (typeof value === 'string') return needles.some((needle) => value.includes(needle));
  if (depth >= maximumDepth) return false;
  if (Array.isArray(value)) return value.some((entry) => mentions(entry, depth + 1));
  if (isKeyValueList(value)) return value.kvlist.some((entry) => mentions(entry.value, depth + 1));
  return false;
}
