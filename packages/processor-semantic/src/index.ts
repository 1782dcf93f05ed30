export type { SemanticProcessorConfig } from './semantic-processor-config.js';
export { createSemanticProcessorConfigSchema } from './semantic-processor-config.js';
export type { SemanticProcessorFactoryOptions } from './semantic-processor-factory.js';
export { createSemanticProcessorFactory, semanticProcessorFactory } from './semantic-processor-factory.js';
export type { SemanticProcessorSettings } from './semantic-processor.js';
export { SemanticProcessor } from './semantic-processor.js';
export { SemanticStatus } from './semantic-status.js';
export { renderTranscript } from './transcript.js';
export { isTraceSampledIn } from './trace-sampler.js';
