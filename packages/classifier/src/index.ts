export type {
  ClassificationItem,
  ClassificationOutcome,
  ClassificationUsage,
  Classifier,
  ClassifyOptions,
  ItemLabels,
} from './classifier.js';
export {
  buildClassificationPrompt,
  buildInstructions,
  classificationPromptMarker,
  neutralizeDelimiters,
} from './classification-prompt.js';
export type { ClassificationPrompt } from './classification-prompt.js';
export { computeRollups } from './compute-rollups.js';
export { countTokens, maxCharactersPerToken, sliceTokens, truncateToTokens } from './count-tokens.js';
export { defaultTaxonomy } from './default-taxonomy.js';
export { assertItemIds, positionalItemIds } from './item-ids.js';
export { LexicalClassifier } from './lexical-classifier.js';
export type { LexicalClassifierOptions } from './lexical-classifier.js';
export {
  buildOutputJsonSchema,
  classificationSchemaName,
  maxItemsForSchema,
  maxOutputTokensPerItem,
} from './output-json-schema.js';
export type { MaxItemsOptions } from './output-json-schema.js';
export { parseClassificationOutput } from './parse-classification-output.js';
export type { ParsedClassification } from './parse-classification-output.js';
export { defaultTaxonomyPath, resolveTaxonomy } from './resolve-taxonomy.js';
export type { ResolveTaxonomyOptions } from './resolve-taxonomy.js';
export { normalizeLabel, snapLabel } from './snap-label.js';
export {
  checkStrictJsonSchema,
  measureJsonSchema,
  openAiStructuredOutputLimits,
  structuredOutputLimits,
} from './strict-json-schema.js';
export type { JsonSchemaMeasure, MeasureOptions, StructuredOutputLimits } from './strict-json-schema.js';
export { allowedLabels, enabledDimensions, escapeLabel, unknownLabel } from './taxonomy.js';
export type { Taxonomy, TaxonomyDimension, TaxonomyLabel, TaxonomyRollup } from './taxonomy.js';
export { taxonomyConfigSchema, taxonomyDocumentSchema } from './taxonomy-config-schema.js';
export type {
  TaxonomyConfig,
  TaxonomyDimensionConfig,
  TaxonomyDocument,
  TaxonomyLabelConfig,
  TaxonomyRollupConfig,
} from './taxonomy-config-schema.js';
export { TaxonomyError } from './taxonomy-error.js';
export type { TaxonomyIssue } from './taxonomy-error.js';
export { canonicalJson, computeTaxonomyVersion } from './taxonomy-version.js';
export { formatTranscript, parseTranscript } from './transcript.js';
export type { TranscriptTurn, TurnRole } from './transcript.js';
