import type { ItemLabels, Taxonomy } from '@semtel/classifier';
import { allowedLabels, computeRollups, defaultTaxonomy, enabledDimensions } from '@semtel/classifier';
import type { AnyValue, Span, SpanEvent } from '@semtel/pdata';
import { getAttribute, getStringAttribute } from '@semtel/pdata';
import { SemanticStatus } from './semantic-status.js';

const evaluationEventName = 'gen_ai.evaluation.result';
/** The attributes enrichSpan gives an evaluation event; an event with others is not one of ours. */
const evaluationEventKeys = new Set(['gen_ai.evaluation.name', 'gen_ai.evaluation.score.label', 'gen_ai.response.id']);

/**
 * The attribute names (after the prefix) semtel writes: every dimension of the taxonomy (enabled
 * or not), the roll-ups, and the status and provenance keys. Other keys under the prefix are the
 * app's own and are left alone.
 */
function ownAttributeNames(taxonomy: Taxonomy): ReadonlySet<string> {
  // Asked up to three times per GenAI span (has, accepts, remove): built once per taxonomy.
  const known = ownAttributeNamesByTaxonomy.get(taxonomy);
  if (known !== undefined) return known;
  const rollups = taxonomy.rollups ?? defaultTaxonomy().rollups ?? [];
  const names = new Set([
    ...taxonomy.dimensions.map((dimension) => dimension.name),
    ...rollups.map((rollup) => rollup.name),
    'status',
    'status_reason',
    'classifier.model',
    'taxonomy.version',
  ]);
  ownAttributeNamesByTaxonomy.set(taxonomy, names);
  return names;
}

const ownAttributeNamesByTaxonomy = new WeakMap<Taxonomy, ReadonlySet<string>>();

function isOwnAttribute(key: string, prefix: string, names: ReadonlySet<string>): boolean {
  return key.startsWith(`${prefix}.`) && names.has(key.slice(prefix.length + 1));
}

/** Whether the span carries attributes semtel writes, or evaluation events that look like ours. */
export function hasUpstreamLabels(span: Span, taxonomy: Taxonomy, prefix: string): boolean {
  const names = ownAttributeNames(taxonomy);
  return (
    span.attributes.some((attribute) => isOwnAttribute(attribute.key, prefix, names)) ||
    span.events.some((event) => isOwnEvaluationEvent(event, taxonomy))
  );
}

/**
 * Whether labels already on the span (a sidecar semtel in front of a gateway, or a re-run) can be
 * delivered as they are: status `classified` or `cached`, our taxonomy version, every enabled
 * dimension labelled from the taxonomy, roll-ups that follow from those labels, no status reason or
 * disabled dimension among semtel's keys, and evaluation events that agree. Anything an app could forge otherwise (a label
 * outside the taxonomy, a stale taxonomy) is classified again instead of trusted.
 */
export function acceptsUpstreamLabels(span: Span, taxonomy: Taxonomy, prefix: string): boolean {
  const attributes = span.attributes;
  const status = getStringAttribute(attributes, `${prefix}.status`);
  if (status !== SemanticStatus.classified && status !== SemanticStatus.cached) return false;
  if (getStringAttribute(attributes, `${prefix}.taxonomy.version`) !== taxonomy.version) return false;
  if (getStringAttribute(attributes, `${prefix}.classifier.model`) === undefined) return false;
  const labels: ItemLabels = {};
  for (const dimension of enabledDimensions(taxonomy)) {
    const label = labelValue(getAttribute(attributes, `${prefix}.${dimension.name}`), dimension.multiLabel);
    if (label === undefined) return false;
    const allowed = new Set(allowedLabels(dimension));
    if (!(Array.isArray(label) ? label : [label]).every((name) => allowed.has(name))) return false;
    labels[dimension.name] = label;
  }
  const rollups = computeRollups(labels, taxonomy);
  const expected = new Map<string, string>([
    ['status', status],
    ['taxonomy.version', taxonomy.version],
    ...Object.entries(rollups),
  ]);
  const names = ownAttributeNames(taxonomy);
  for (const attribute of attributes) {
    if (!isOwnAttribute(attribute.key, prefix, names)) continue;
    const name = attribute.key.slice(prefix.length + 1);
    if (name === 'classifier.model' || Object.hasOwn(labels, name)) continue;
    if (!expected.has(name) || attribute.value !== expected.get(name)) return false;
  }
  for (const name of Object.keys(rollups)) {
    if (getAttribute(attributes, `${prefix}.${name}`) === undefined) return false;
  }
  return span.events.every((event) => {
    if (!isOwnEvaluationEvent(event, taxonomy)) return true;
    const dimension = getStringAttribute(event.attributes, 'gen_ai.evaluation.name') as string;
    const label = labels[dimension];
    const written = getStringAttribute(event.attributes, 'gen_ai.evaluation.score.label');
    return label !== undefined && written === (Array.isArray(label) ? label.join(',') : label);
  });
}

/** Removes the attributes semtel writes and our evaluation events, so the span is classified afresh. */
export function removeUpstreamLabels(span: Span, taxonomy: Taxonomy, prefix: string): void {
  const names = ownAttributeNames(taxonomy);
  span.attributes = span.attributes.filter((attribute) => !isOwnAttribute(attribute.key, prefix, names));
  span.events = span.events.filter((event) => !isOwnEvaluationEvent(event, taxonomy));
}

function labelValue(value: AnyValue, multiLabel: boolean): string | string[] | undefined {
  if (!multiLabel) return typeof value === 'string' ? value : undefined;
  if (!Array.isArray(value) || !value.every((entry) => typeof entry === 'string')) return undefined;
  const names = value as string[];
  return new Set(names).size === names.length ? names : undefined;
}

/** An evaluation event as enrichSpan writes them: named after one of the taxonomy's dimensions. */
function isOwnEvaluationEvent(event: SpanEvent, taxonomy: Taxonomy): boolean {
  if (event.name !== evaluationEventName) return false;
  if (!event.attributes.every((attribute) => evaluationEventKeys.has(attribute.key))) return false;
  const dimension = getStringAttribute(event.attributes, 'gen_ai.evaluation.name');
  return dimension !== undefined && taxonomy.dimensions.some((candidate) => candidate.name === dimension);
}
