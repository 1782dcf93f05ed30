import type { ItemLabels } from './classifier.js';
import { normalizeLabel, snapLabel } from './snap-label.js';
import { enabledDimensions, unknownLabel } from './taxonomy.js';
import type { Taxonomy, TaxonomyDimension } from './taxonomy.js';

export interface ParsedClassification {
  /** Valid items, every label snapped to the taxonomy or `unknown`. */
  labels: Map<string, ItemLabels>;
  /** Expected ids that are missing or whose object is unusable. */
  invalid: string[];
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** How many `{`/`[` positions are tried as the start of the JSON before giving up. */
const maximumStartAttempts = 20;

/**
 * Reads the model's answer for a batch: tolerant of code fences, prose around the JSON, trailing commas
 * and an answer cut off mid-way (complete items before the cut are kept). Accepts the item map
 * `{id: {dimension: label}}`, a wrapper object around it, or an array `[{id, …labels}]`.
 */
export function parseClassificationOutput(text: string, taxonomy: Taxonomy, itemIds: string[]): ParsedClassification {
  const dimensions = enabledDimensions(taxonomy);
  const entries = itemEntries(extractJson(text), itemIds, dimensions);
  const labels = new Map<string, ItemLabels>();
  const invalid: string[] = [];
  for (const id of itemIds) {
    const item = entries.get(id);
    const itemLabels = item === undefined ? undefined : validateItem(item, dimensions);
    if (itemLabels) labels.set(id, itemLabels);
    else invalid.push(id);
  }
  return { labels, invalid };
}

function extractJson(text: string): unknown {
  const fenced = /```[a-zA-Z]*\s*\n?([\s\S]*?)```/.exec(text);
  const candidates = fenced?.[1] !== undefined ? [fenced[1], text] : [text];
  for (const candidate of candidates) {
    let attempts = 0;
    for (let start = 0; start < candidate.length && attempts < maximumStartAttempts; start++) {
      const character = candidate[start];
      if (character !== '{' && character !== '[') continue;
      attempts += 1;
      const slice = balancedJson(candidate, start);
      if (slice === undefined) continue;
      try {
        return JSON.parse(withoutTrailingCommas(slice)) as unknown;
      } catch {
        // Not JSON from this start; try the next opening bracket.
      }
    }
  }
  return undefined;
}

/**
 * The JSON value starting at `start`, found by bracket matching outside strings. When the text ends
 * before the value closes (a truncated answer), it is cut after the last complete top-level member and
 * closed, so the items before the cut survive.
 */
function balancedJson(text: string, start: number): string | undefined {
  const closers: string[] = [];
  let inString = false;
  let escaped = false;
  let lastMemberEnd = -1;
  for (let index = start; index < text.length; index++) {
    const character = text[index] as string;
    if (inString) {
      if (escaped) escaped = false;
      else if (character === '\\') escaped = true;
      else if (character === '"') inString = false;
      continue;
    }
    if (character === '"') inString = true;
    else if (character === '{') closers.push('}');
    else if (character === '[') closers.push(']');
    else if (character === '}' || character === ']') {
      if (closers.pop() !== character) return undefined;
      if (closers.length === 0) return text.slice(start, index + 1);
      if (closers.length === 1) lastMemberEnd = index + 1;
    }
  }
  if (lastMemberEnd < 0) return undefined;
  return `${text.slice(start, lastMemberEnd)}${text[start] === '{' ? '}' : ']'}`;
}

/** Removes commas that directly precede `}` or `]`, outside strings. */
function withoutTrailingCommas(json: string): string {
  let result = '';
  let inString = false;
  let escaped = false;
  for (let index = 0; index < json.length; index++) {
    const character = json[index] as string;
    if (inString) {
      if (escaped) escaped = false;
      else if (character === '\\') escaped = true;
      else if (character === '"') inString = false;
    } else if (character === '"') {
      inString = true;
    } else if (character === ',') {
      const next = /\S/.exec(json.slice(index + 1));
      if (next && (next[0] === '}' || next[0] === ']')) continue;
    }
    result += character;
  }
  return result;
}

const idKeys = ['id', 'item_id', 'itemId', 'item'];

/** Maps each expected id to the raw object the model gave for it. */
function itemEntries(root: unknown, itemIds: string[], dimensions: TaxonomyDimension[]): Map<string, unknown> {
  const expected = new Set(itemIds);
  // Ids compared without case and surrounding space, when that is unambiguous.
  const byLooseId = new Map<string, string | undefined>();
  for (const id of itemIds) {
    const loose = id.trim().toLowerCase();
    byLooseId.set(loose, byLooseId.has(loose) ? undefined : id);
  }
  const resolveId = (raw: unknown): string | undefined => {
    if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
    const text = String(raw);
    return expected.has(text) ? text : byLooseId.get(text.trim().toLowerCase());
  };

  const entries = new Map<string, unknown>();
  const add = (rawId: unknown, value: unknown): void => {
    const id = resolveId(rawId);
    // The first answer for an id counts; extra ids are ignored.
    if (id !== undefined && !entries.has(id)) entries.set(id, value);
  };

  let node = root;
  for (let depth = 0; depth < 3; depth++) {
    if (Array.isArray(node)) {
      for (const element of node) {
        if (!isObject(element)) continue;
        const idKey = idKeys.find((key) => key in element);
        if (idKey === undefined) continue;
        const { [idKey]: rawId, ...rest } = element;
        add(rawId, isObject(rest.labels) ? rest.labels : rest);
      }
      return entries;
    }
    if (!isObject(node)) return entries;
    const keys = Object.keys(node);
    if (keys.some((key) => resolveId(key) !== undefined)) {
      for (const key of keys) add(key, node[key]);
      return entries;
    }
    // A one-item batch answered with the bare labels.
    const dimensionNames = new Set(dimensions.map((dimension) => dimension.name));
    if (itemIds.length === 1 && keys.some((key) => dimensionNames.has(normalizeLabel(key)))) {
      add(itemIds[0], node);
      return entries;
    }
    // A wrapper such as {"items": …} or {"results": […]}.
    const record = node;
    const containers = keys.filter((key) => isObject(record[key]) || Array.isArray(record[key]));
    if (containers.length !== 1) return entries;
    node = record[containers[0] as string];
  }
  return entries;
}

function validateItem(raw: unknown, dimensions: TaxonomyDimension[]): ItemLabels | undefined {
  if (!isObject(raw)) return undefined;
  const byNormalizedKey = new Map<string, unknown>();
  for (const [key, value] of Object.entries(raw)) {
    const normalized = normalizeLabel(key);
    if (!byNormalizedKey.has(normalized)) byNormalizedKey.set(normalized, value);
  }
  const labels: ItemLabels = {};
  for (const dimension of dimensions) {
    const value = dimension.name in raw ? raw[dimension.name] : byNormalizedKey.get(dimension.name);
    const label = dimension.multiLabel ? multiLabel(dimension, value) : singleLabel(dimension, value);
    if (label === undefined) return undefined;
    labels[dimension.name] = label;
  }
  return labels;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function singleLabel(dimension: TaxonomyDimension, value: unknown): string | undefined {
  const text = Array.isArray(value) && value.length === 1 ? scalarText(value[0]) : scalarText(value);
  return text === undefined ? undefined : snapLabel(dimension, text);
}

function multiLabel(dimension: TaxonomyDimension, value: unknown): string[] | undefined {
  const raw = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[,;|]/) : undefined;
  if (raw === undefined) return undefined;
  const texts = raw.map(scalarText).filter((text): text is string => text !== undefined && text.trim() !== '');
  const snapped = [...new Set(texts.map((text) => snapLabel(dimension, text)))].filter(
    (label) => label !== unknownLabel,
  );
  if (snapped.length === 0 && texts.length > 0) return [unknownLabel];
  return snapped;
}
