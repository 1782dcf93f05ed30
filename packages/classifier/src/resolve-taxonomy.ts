import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { maxItemsForSchema } from './output-json-schema.js';
import type { Taxonomy, TaxonomyDimension, TaxonomyRollup } from './taxonomy.js';
import { taxonomyConfigSchema, taxonomyDocumentSchema } from './taxonomy-config-schema.js';
import type { TaxonomyConfig, TaxonomyDimensionConfig, TaxonomyDocument } from './taxonomy-config-schema.js';
import { formatIssuePath, TaxonomyError } from './taxonomy-error.js';
import type { TaxonomyIssue } from './taxonomy-error.js';
import { computeTaxonomyVersion } from './taxonomy-version.js';

/** The shipped default taxonomy; resolved from this module so it works from both src and dist. */
export const defaultTaxonomyPath = fileURLToPath(new URL('../taxonomy/default.yaml', import.meta.url));

/**
 * Names the processor writes next to the labels (`<prefix>.status`, `<prefix>.classifier.model`, …):
 * a dimension or roll-up with one of them would overwrite, or be overwritten by, provenance.
 */
const reservedNames: ReadonlyMap<string, string> = new Map([
  ['status', '<prefix>.status'],
  ['status_reason', '<prefix>.status_reason'],
  ['classifier', '<prefix>.classifier.model'],
  ['taxonomy', '<prefix>.taxonomy.version'],
]);

function reservedNameMessage(name: string): string | undefined {
  const attribute = reservedNames.get(name);
  if (attribute === undefined) return undefined;
  return `"${name}" is reserved: semtel writes ${attribute} itself (reserved names: ${[...reservedNames.keys()].join(', ')})`;
}

/** Bounds `base:` chains between taxonomy files. */
const maximumBaseDepth = 8;

export interface ResolveTaxonomyOptions {
  /** Directory that relative taxonomy paths are resolved against; defaults to the working directory. */
  baseDirectory?: string;
}

interface Parts {
  dimensions: TaxonomyDimension[];
  rollups: TaxonomyRollup[];
}

interface Context {
  directory: string;
  /** Prefix of issue paths: the file being read, or '' for the inline configuration. */
  location: string;
  /** Files already being resolved, to stop `base:` cycles. */
  chain: string[];
  issues: TaxonomyIssue[];
}

/**
 * Turns a taxonomy configuration into a validated taxonomy. User dimensions are appended, or replace
 * the base dimension of the same name. Throws a {@link TaxonomyError} listing every problem.
 */
export function resolveTaxonomy(config: TaxonomyConfig, options: ResolveTaxonomyOptions = {}): Taxonomy {
  const parsed = taxonomyConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new TaxonomyError(
      parsed.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message })),
    );
  }
  const context: Context = {
    directory: options.baseDirectory ?? process.cwd(),
    location: '',
    chain: [],
    issues: [],
  };
  const parts =
    typeof parsed.data === 'string'
      ? resolveReference(parsed.data, '', context)
      : resolveDocument(parsed.data, 'default', context);
  const { issues } = context;
  if (issues.length === 0) {
    if (!parts.dimensions.some((dimension) => dimension.enabled)) {
      issues.push({ path: '', message: 'no dimension is enabled' });
    }
  }
  if (issues.length > 0) throw new TaxonomyError(issues);

  const taxonomy: Taxonomy = {
    dimensions: parts.dimensions,
    rollups: parts.rollups,
    version: computeTaxonomyVersion(parts.dimensions, parts.rollups),
  };
  if (maxItemsForSchema(taxonomy) < 1) {
    throw new TaxonomyError([
      { path: '', message: 'the enabled dimensions exceed the structured-output schema limits even for one item' },
    ]);
  }
  return deepFreeze(taxonomy);
}

function issuePath(context: Context, path: readonly PropertyKey[]): string {
  const inner = formatIssuePath(path);
  if (!context.location) return inner;
  return inner ? `${context.location}: ${inner}` : context.location;
}

function resolveReference(reference: string, referencePath: string, context: Context): Parts {
  if (reference === 'none') return { dimensions: [], rollups: [] };
  const file = reference === 'default' ? defaultTaxonomyPath : resolve(context.directory, reference);
  return resolveFile(file, referencePath, context);
}

function resolveFile(file: string, referencePath: string, context: Context): Parts {
  const empty: Parts = { dimensions: [], rollups: [] };
  const here = issuePath(context, referencePath ? [referencePath] : []);
  if (context.chain.includes(file)) {
    context.issues.push({ path: here, message: `base cycle: ${[...context.chain, file].join(' → ')}` });
    return empty;
  }
  if (context.chain.length >= maximumBaseDepth) {
    context.issues.push({ path: here, message: `more than ${maximumBaseDepth} nested base taxonomies` });
    return empty;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    context.issues.push({ path: here, message: `cannot read taxonomy file: ${reason}` });
    return empty;
  }
  const fileContext: Context = {
    directory: dirname(file),
    location: file,
    chain: [...context.chain, file],
    issues: context.issues,
  };
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    for (const error of document.errors) context.issues.push({ path: file, message: error.message });
    return empty;
  }
  const parsed = taxonomyDocumentSchema.safeParse(document.toJS() ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      context.issues.push({ path: issuePath(fileContext, issue.path), message: issue.message });
    }
    return empty;
  }
  return resolveDocument(parsed.data, 'none', fileContext);
}

function toDimension(config: TaxonomyDimensionConfig): TaxonomyDimension {
  return {
    name: config.name,
    description: config.description.trim(),
    labels: config.labels.map((label) => ({
      name: label.name,
      description: label.description.trim(),
      ...(label.examples ? { examples: label.examples.map((example) => example.trim()) } : {}),
    })),
    multiLabel: config.multi_label ?? false,
    enabled: config.enabled ?? true,
  };
}

function resolveDocument(document: TaxonomyDocument, defaultBase: string, context: Context): Parts {
  const base = resolveReference(document.base ?? defaultBase, 'base', context);
  const dimensions = [...base.dimensions];
  let rollups = [...base.rollups];

  (document.dimensions ?? []).forEach((config, index) => {
    const reserved = reservedNameMessage(config.name);
    if (reserved !== undefined) {
      context.issues.push({ path: issuePath(context, ['dimensions', index, 'name']), message: reserved });
    }
  });
  for (const config of document.dimensions ?? []) {
    const dimension = toDimension(config);
    const index = dimensions.findIndex((existing) => existing.name === dimension.name);
    if (index >= 0) {
      dimensions[index] = dimension;
      // The base roll-up mapped the replaced labels; it cannot be trusted for the new ones.
      rollups = rollups.filter((rollup) => rollup.source !== dimension.name);
    } else {
      dimensions.push(dimension);
    }
  }

  (document.rollups ?? []).forEach((config, index) => {
    const problems = rollupProblems(config, dimensions);
    for (const problem of problems) {
      context.issues.push({ path: issuePath(context, ['rollups', index, ...problem.path]), message: problem.message });
    }
    if (problems.length > 0) return;
    const rollup: TaxonomyRollup = { name: config.name, source: config.source, groups: config.groups };
    rollups = [...rollups.filter((existing) => existing.name !== rollup.name), rollup];
  });

  // Roll-ups are written beside the dimensions, so a dimension may not share a roll-up's name either
  // (roll-ups defined here that share a dimension's name were refused above).
  (document.dimensions ?? []).forEach((config, index) => {
    const rollup = rollups.find((candidate) => candidate.name === config.name);
    if (rollup === undefined) return;
    context.issues.push({
      path: issuePath(context, ['dimensions', index, 'name']),
      message: `"${config.name}" is the name of a roll-up (derived from ${rollup.source}): both would be written to <prefix>.${config.name}`,
    });
  });

  const toggle = (key: 'enable' | 'disable', enabled: boolean): void => {
    (document[key] ?? []).forEach((name, index) => {
      const position = dimensions.findIndex((dimension) => dimension.name === name);
      const existing = dimensions[position];
      if (!existing) {
        context.issues.push({ path: issuePath(context, [key, index]), message: `unknown dimension "${name}"` });
        return;
      }
      if (key === 'disable' && document.enable?.includes(name)) {
        context.issues.push({
          path: issuePath(context, [key, index]),
          message: `"${name}" is both enabled and disabled`,
        });
      }
      dimensions[position] = { ...existing, enabled };
    });
  };
  toggle('enable', true);
  toggle('disable', false);

  return { dimensions, rollups };
}

function rollupProblems(
  config: { name: string; source: string; groups: Record<string, string[]> },
  dimensions: TaxonomyDimension[],
): { path: PropertyKey[]; message: string }[] {
  const problems: { path: PropertyKey[]; message: string }[] = [];
  const reserved = reservedNameMessage(config.name);
  if (reserved !== undefined) problems.push({ path: ['name'], message: reserved });
  if (dimensions.some((dimension) => dimension.name === config.name)) {
    problems.push({ path: ['name'], message: `"${config.name}" is already a dimension name` });
  }
  const source = dimensions.find((dimension) => dimension.name === config.source);
  if (!source) {
    problems.push({ path: ['source'], message: `unknown dimension "${config.source}"` });
    return problems;
  }
  if (source.multiLabel) {
    problems.push({
      path: ['source'],
      message: `"${config.source}" is multi-label; roll-ups need a single-label source`,
    });
  }
  const labelNames = new Set(source.labels.map((label) => label.name));
  const grouped = new Set<string>();
  for (const [group, labels] of Object.entries(config.groups)) {
    labels.forEach((label, index) => {
      if (!labelNames.has(label)) {
        problems.push({ path: ['groups', group, index], message: `"${label}" is not a label of ${config.source}` });
      } else if (grouped.has(label)) {
        problems.push({ path: ['groups', group, index], message: `"${label}" is in more than one group` });
      }
      grouped.add(label);
    });
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const entry of Object.values(value)) deepFreeze(entry);
  }
  return value;
}
