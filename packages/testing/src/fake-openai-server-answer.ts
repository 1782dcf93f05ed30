import { createHash } from 'node:crypto';

/** How the fake model fills enum-valued fields. */
export type EnumAnswerMode = 'faithful' | 'variant' | 'invented';

export interface SchemaAnswerOptions {
  /**
   * The request text that belongs to a field, found by the path of property names leading to it.
   * The fake uses it to pick enum values that fit the transcript instead of arbitrary ones.
   */
  contextFor: (path: readonly string[]) => string;
  /**
   * `faithful` picks allowed values; `variant` writes an allowed value in another spelling
   * (upper case, spaces) that label snapping must map back; `invented` writes values outside the enum.
   */
  enumMode?: EnumAnswerMode;
}

type JsonSchema = Record<string, unknown>;

const maximumDepth = 32;
// Words too common to say anything about which label fits a transcript.
const stopWords = new Set(['and', 'the', 'for', 'with', 'other', 'unknown', 'none', 'not', 'general']);

/**
 * Builds a value that is valid against a JSON schema of the Structured Outputs subset
 * (objects, arrays, enums, const, anyOf, $ref into $defs), as a model in strict mode would.
 * Enum values are chosen by keyword overlap with the field's context text, else by a hash of the
 * field's path, so the same request always gets the same answer.
 */
export function answerFromSchema(schema: unknown, options: SchemaAnswerOptions): unknown {
  const root = isObject(schema) ? schema : {};
  return generate(root, root, [], options, 0);
}

function generate(
  schema: unknown,
  root: JsonSchema,
  path: string[],
  options: SchemaAnswerOptions,
  depth: number,
): unknown {
  if (!isObject(schema) || depth > maximumDepth) return null;
  if (typeof schema.$ref === 'string')
    return generate(resolveReference(schema.$ref, root), root, path, options, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return pickEnum(schema.enum, path, options);
  const alternatives = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(alternatives)) {
    const chosen = alternatives.find((alternative) => !(isObject(alternative) && alternative.type === 'null'));
    return generate(chosen ?? alternatives[0], root, path, options, depth + 1);
  }
  const type = Array.isArray(schema.type) ? (schema.type.find((entry) => entry !== 'null') ?? 'null') : schema.type;
  if (type === 'object' || (type === undefined && isObject(schema.properties))) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const result: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(properties)) {
      result[name] = generate(property, root, [...path, name], options, depth + 1);
    }
    return result;
  }
  if (type === 'array') return generateArray(schema, root, path, options, depth);
  if (type === 'string') return generateString(schema, path);
  if (type === 'integer' || type === 'number') return typeof schema.minimum === 'number' ? schema.minimum : 0;
  if (type === 'boolean') return false;
  return null;
}

function generateArray(
  schema: JsonSchema,
  root: JsonSchema,
  path: string[],
  options: SchemaAnswerOptions,
  depth: number,
): unknown[] {
  const minimum = typeof schema.minItems === 'number' ? schema.minItems : 1;
  const maximum = typeof schema.maxItems === 'number' ? schema.maxItems : Math.max(minimum, 1);
  const count = Math.min(Math.max(minimum, 1), maximum, 100);
  let items = schema.items;
  if (isObject(items) && typeof items.$ref === 'string') items = resolveReference(items.$ref, root);
  if (isObject(items) && Array.isArray(items.enum)) {
    // Multi-label enums: distinct values, the best fit first.
    const first = pickEnum(items.enum, path, options);
    const rest = items.enum.filter((value) => value !== first && (options.enumMode ?? 'faithful') === 'faithful');
    return [first, ...rest].slice(0, count);
  }
  return Array.from({ length: count }, (_, index) =>
    generate(items, root, [...path, String(index)], options, depth + 1),
  );
}

function generateString(schema: JsonSchema, path: readonly string[]): string {
  const text = `fake ${path.at(-1) ?? 'value'}`;
  const minimum = typeof schema.minLength === 'number' ? schema.minLength : 0;
  const maximum = typeof schema.maxLength === 'number' ? schema.maxLength : Number.POSITIVE_INFINITY;
  return text.padEnd(minimum, '.').slice(0, maximum);
}

function pickEnum(values: unknown[], path: readonly string[], options: SchemaAnswerOptions): unknown {
  if (values.length === 0) return null;
  const context = options.contextFor(path).toLowerCase();
  let best: unknown;
  let bestScore = 0;
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const score = keywordScore(value, context);
    if (score > bestScore) {
      best = value;
      bestScore = score;
    }
  }
  const chosen = bestScore > 0 ? best : values[stableHash(path.join('/')) % values.length];
  const mode = options.enumMode ?? 'faithful';
  if (typeof chosen !== 'string' || mode === 'faithful') return chosen;
  if (mode === 'variant') return chosen.replace(/_/g, ' ').toUpperCase();
  return `invented_label_${stableHash(path.join('/')) % 1000}`;
}

function keywordScore(label: string, context: string): number {
  if (context.length === 0) return 0;
  let score = 0;
  for (const word of label.toLowerCase().split(/[^a-z0-9]+/)) {
    if (word.length < 3 || stopWords.has(word)) continue;
    if (new RegExp(`\\b${word}`).test(context)) score += 1;
  }
  return score;
}

function resolveReference(reference: string, root: JsonSchema): unknown {
  if (reference === '#') return root;
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(reference);
  if (!match) return {};
  const definitions = root[match[1] as string];
  return isObject(definitions) ? definitions[match[2] as string] : {};
}

/** A small deterministic hash, so choices without a keyword match are stable across runs. */
export function stableHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Finds the JSON objects written inside a text (for example a JSON schema a client put in its prompt
 * when the endpoint only offers `json_object` mode). Bounded in how many candidates it tries.
 */
export function findJsonObjects(
  text: string,
  maximumCandidates = 200,
): { value: Record<string, unknown>; text: string }[] {
  const found: { value: Record<string, unknown>; text: string }[] = [];
  let candidates = 0;
  let index = text.indexOf('{');
  while (index !== -1 && candidates < maximumCandidates) {
    candidates += 1;
    const end = matchingBrace(text, index);
    if (end !== -1) {
      try {
        const candidate = text.slice(index, end + 1);
        const parsed: unknown = JSON.parse(candidate);
        if (isObject(parsed)) {
          found.push({ value: parsed, text: candidate });
          index = text.indexOf('{', end + 1);
          continue;
        }
      } catch {
        // Not JSON; try the next brace.
      }
    }
    index = text.indexOf('{', index + 1);
  }
  return found;
}

function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index += 1) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
    } else if (character === '"') inString = true;
    else if (character === '{') depth += 1;
    else if (character === '}') {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  return -1;
}
