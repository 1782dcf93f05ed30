/**
 * Limits of strict structured outputs. The defaults are the older, stricter set that Azure OpenAI still
 * documents (100 properties, 5 nesting levels) together with the matching older OpenAI figures for enum
 * values and characters; current OpenAI allows far more (see {@link openAiStructuredOutputLimits}).
 */
export interface StructuredOutputLimits {
  maxProperties: number;
  maxNesting: number;
  maxEnumValues: number;
  /** Characters of property names, definition names, enum values and consts. */
  maxTotalCharacters: number;
  /** A single string enum with more than `largeEnumThreshold` values … */
  largeEnumThreshold: number;
  /** … may have at most this many characters in total. */
  maxLargeEnumCharacters: number;
}

export const structuredOutputLimits: StructuredOutputLimits = Object.freeze({
  maxProperties: 100,
  maxNesting: 5,
  maxEnumValues: 500,
  maxTotalCharacters: 15_000,
  largeEnumThreshold: 250,
  maxLargeEnumCharacters: 7_500,
});

export const openAiStructuredOutputLimits: StructuredOutputLimits = Object.freeze({
  maxProperties: 5_000,
  maxNesting: 10,
  maxEnumValues: 1_000,
  maxTotalCharacters: 120_000,
  largeEnumThreshold: 250,
  maxLargeEnumCharacters: 15_000,
});

export interface JsonSchemaMeasure {
  properties: number;
  nesting: number;
  enumValues: number;
  characters: number;
  /** Character total of the largest enum with more than the large-enum threshold of values (0 if none). */
  largestEnumCharacters: number;
}

export interface MeasureOptions {
  /**
   * Count a `$ref`'d definition at every use instead of once. The guides do not say how providers count
   * references, so this is the conservative reading.
   */
  expandReferences?: boolean;
  largeEnumThreshold?: number;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function definitionOf(root: JsonObject, reference: string): JsonObject | undefined {
  if (reference === '#') return root;
  const match = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(reference);
  if (!match) return undefined;
  const definitions = root[match[1] as string];
  if (!isObject(definitions)) return undefined;
  const definition = definitions[match[2] as string];
  return isObject(definition) ? definition : undefined;
}

/** Sizes of a JSON schema as the structured-output limits count them. */
export function measureJsonSchema(schema: JsonObject, options: MeasureOptions = {}): JsonSchemaMeasure {
  const threshold = options.largeEnumThreshold ?? structuredOutputLimits.largeEnumThreshold;
  const measure: JsonSchemaMeasure = {
    properties: 0,
    nesting: nestingOf(schema, schema, 0),
    enumValues: 0,
    characters: 0,
    largestEnumCharacters: 0,
  };

  const count = (node: unknown, guard: number): void => {
    if (!isObject(node) || guard > maximumReferenceDepth) return;
    if (typeof node.$ref === 'string') {
      if (options.expandReferences) count(definitionOf(schema, node.$ref), guard + 1);
      return;
    }
    if (Array.isArray(node.enum)) {
      measure.enumValues += node.enum.length;
      const characters = node.enum.reduce<number>(
        (total, value) => total + (typeof value === 'string' ? value.length : 0),
        0,
      );
      measure.characters += characters;
      if (node.enum.length > threshold) {
        measure.largestEnumCharacters = Math.max(measure.largestEnumCharacters, characters);
      }
    }
    if (typeof node.const === 'string') measure.characters += node.const.length;
    if (isObject(node.properties)) {
      for (const [name, property] of Object.entries(node.properties)) {
        measure.properties += 1;
        measure.characters += name.length;
        count(property, guard);
      }
    }
    if (node.items !== undefined) count(node.items, guard);
    if (Array.isArray(node.anyOf)) for (const option of node.anyOf) count(option, guard);
  };

  count(schema, 0);
  for (const key of ['$defs', 'definitions']) {
    const definitions = schema[key];
    if (!isObject(definitions)) continue;
    for (const [name, definition] of Object.entries(definitions)) {
      measure.characters += name.length;
      // When expanding, definitions were counted at each use instead.
      if (!options.expandReferences) count(definition, 0);
    }
  }
  return measure;
}

/** Bounds reference chains (and stops recursive schemas) while measuring. */
const maximumReferenceDepth = 16;

/** Object and array nesting levels along paths from `node`, following references. */
function nestingOf(root: JsonObject, node: unknown, guard: number): number {
  if (!isObject(node) || guard > maximumReferenceDepth) return 0;
  if (typeof node.$ref === 'string') return nestingOf(root, definitionOf(root, node.$ref), guard + 1);
  const own = node.type === 'object' || node.type === 'array' ? 1 : 0;
  const children = [
    ...(isObject(node.properties) ? Object.values(node.properties) : []),
    ...(node.items !== undefined ? [node.items] : []),
    ...(Array.isArray(node.anyOf) ? node.anyOf : []),
  ];
  let deepest = 0;
  for (const child of children) deepest = Math.max(deepest, nestingOf(root, child, guard + 1));
  return own + deepest;
}

const unsupportedKeywords = [
  'allOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependentSchemas',
  'patternProperties',
  // Not supported by Azure OpenAI nor fine-tuned models; the shared subset avoids them.
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
];

/**
 * Problems that would make a provider reject `schema` as a strict structured-output schema (empty when
 * it is acceptable): root must be an object, every object lists all its properties in `required` and
 * sets `additionalProperties: false`, references resolve, no unsupported keyword, and the limits hold.
 */
export function checkStrictJsonSchema(
  schema: Record<string, unknown>,
  limits: StructuredOutputLimits = structuredOutputLimits,
  options: Omit<MeasureOptions, 'largeEnumThreshold'> = {},
): string[] {
  const problems: string[] = [];
  if (schema.type !== 'object') problems.push('root: must be of type "object"');
  if ('anyOf' in schema) problems.push('root: must not be anyOf');

  const check = (node: unknown, path: string): void => {
    if (!isObject(node)) {
      problems.push(`${path}: must be a schema object`);
      return;
    }
    for (const keyword of unsupportedKeywords) {
      if (keyword in node) problems.push(`${path}: unsupported keyword "${keyword}"`);
    }
    if (typeof node.$ref === 'string') {
      if (!definitionOf(schema, node.$ref)) problems.push(`${path}: unresolved $ref "${node.$ref}"`);
      return;
    }
    if (node.type === 'object') {
      if (node.additionalProperties !== false) problems.push(`${path}: additionalProperties must be false`);
      const properties = isObject(node.properties) ? node.properties : {};
      const required = Array.isArray(node.required) ? node.required : [];
      const requiredNames = new Set(required);
      for (const name of Object.keys(properties)) {
        if (!requiredNames.has(name)) problems.push(`${path}: property "${name}" must be required`);
        check(properties[name], `${path}.properties.${name}`);
      }
      for (const name of required) {
        if (typeof name !== 'string' || !(name in properties)) {
          problems.push(`${path}: required "${String(name)}" is not a property`);
        }
      }
    } else if (node.type === 'array') {
      if (node.items === undefined) problems.push(`${path}: array must define items`);
      else check(node.items, `${path}.items`);
    } else if (node.type === undefined && !Array.isArray(node.anyOf) && !Array.isArray(node.enum)) {
      problems.push(`${path}: must declare a type`);
    }
    if (Array.isArray(node.enum) && node.enum.length === 0) problems.push(`${path}: enum must not be empty`);
    if (Array.isArray(node.anyOf)) node.anyOf.forEach((option, index) => check(option, `${path}.anyOf[${index}]`));
  };

  check(schema, 'root');
  for (const key of ['$defs', 'definitions']) {
    const definitions = schema[key];
    if (!isObject(definitions)) continue;
    for (const [name, definition] of Object.entries(definitions)) check(definition, `${key}.${name}`);
  }

  const measure = measureJsonSchema(schema, { ...options, largeEnumThreshold: limits.largeEnumThreshold });
  if (measure.properties > limits.maxProperties) {
    problems.push(`${measure.properties} object properties exceed the limit of ${limits.maxProperties}`);
  }
  if (measure.nesting > limits.maxNesting) {
    problems.push(`${measure.nesting} nesting levels exceed the limit of ${limits.maxNesting}`);
  }
  if (measure.enumValues > limits.maxEnumValues) {
    problems.push(`${measure.enumValues} enum values exceed the limit of ${limits.maxEnumValues}`);
  }
  if (measure.characters > limits.maxTotalCharacters) {
    problems.push(`${measure.characters} name and enum characters exceed the limit of ${limits.maxTotalCharacters}`);
  }
  if (measure.largestEnumCharacters > limits.maxLargeEnumCharacters) {
    problems.push(
      `an enum of more than ${limits.largeEnumThreshold} values has ${measure.largestEnumCharacters} characters, over ${limits.maxLargeEnumCharacters}`,
    );
  }
  return problems;
}
