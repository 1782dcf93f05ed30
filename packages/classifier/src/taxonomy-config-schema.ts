import { z } from 'zod';

/** Longest label or dimension name: keeps span attribute values and schema property names short. */
const maximumNameLength = 64;

const snakeCaseName = z
  .string()
  .max(maximumNameLength, `must be at most ${maximumNameLength} characters`)
  .regex(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/, 'must be snake_case: lower-case letters, digits and single underscores');

const description = z.string().trim().min(1, 'must not be empty');

export interface TaxonomyLabelConfig {
  name: string;
  description: string;
  examples?: string[];
}

export interface TaxonomyDimensionConfig {
  name: string;
  description: string;
  labels: TaxonomyLabelConfig[];
  multi_label?: boolean;
  enabled?: boolean;
}

export interface TaxonomyRollupConfig {
  name: string;
  source: string;
  groups: Record<string, string[]>;
}

/**
 * The object form, used inline in the service config and as the content of a taxonomy file.
 * Inline, `base` defaults to `default`; in a file it defaults to `none` (the file is the taxonomy).
 */
export interface TaxonomyDocument {
  base?: string;
  dimensions?: TaxonomyDimensionConfig[];
  rollups?: TaxonomyRollupConfig[];
  enable?: string[];
  disable?: string[];
}

/** `default`, `none`, a path to a taxonomy YAML file, or the object form. */
export type TaxonomyConfig = string | TaxonomyDocument;

const labelSchema = z.strictObject({
  name: snakeCaseName,
  description,
  examples: z.array(z.string().trim().min(1, 'must not be empty')).optional(),
});

function addDuplicateIssues(
  names: string[],
  context: z.RefinementCtx,
  pathOf: (index: number) => (string | number)[],
  what: string,
): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (seen.has(name))
      context.addIssue({ code: 'custom', message: `duplicate ${what} "${name}"`, path: pathOf(index) });
    seen.add(name);
  });
}

const dimensionSchema = z
  .strictObject({
    name: snakeCaseName,
    description,
    labels: z.array(labelSchema).min(2, 'must have at least 2 labels'),
    multi_label: z.boolean().optional(),
    enabled: z.boolean().optional(),
  })
  .superRefine((dimension, context) => {
    addDuplicateIssues(
      dimension.labels.map((label) => label.name),
      context,
      (index) => ['labels', index, 'name'],
      'label',
    );
  });

const rollupSchema = z.strictObject({
  name: snakeCaseName,
  source: snakeCaseName,
  groups: z.record(snakeCaseName, z.array(snakeCaseName).min(1, 'must list at least one label')),
});

export const taxonomyDocumentSchema: z.ZodType<TaxonomyDocument> = z
  .strictObject({
    base: z.string().trim().min(1, 'must not be empty').optional(),
    dimensions: z.array(dimensionSchema).optional(),
    rollups: z.array(rollupSchema).optional(),
    enable: z.array(snakeCaseName).optional(),
    disable: z.array(snakeCaseName).optional(),
  })
  .superRefine((document, context) => {
    addDuplicateIssues(
      (document.dimensions ?? []).map((dimension) => dimension.name),
      context,
      (index) => ['dimensions', index, 'name'],
      'dimension',
    );
    addDuplicateIssues(
      (document.rollups ?? []).map((rollup) => rollup.name),
      context,
      (index) => ['rollups', index, 'name'],
      'roll-up',
    );
  });

export const taxonomyConfigSchema: z.ZodType<TaxonomyConfig> = z.union([
  z.string().trim().min(1, 'must be "default", "none", a file path or a taxonomy object'),
  taxonomyDocumentSchema,
]);
