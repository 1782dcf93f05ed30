export type { Interaction, InteractionConvention, InteractionMessage, InteractionUsage } from './interaction.js';
export { isGenAiSpan } from './is-gen-ai-span.js';
export { extractInteraction } from './extract-interaction.js';
export { genAiEventSpanKey, spanEventKey } from './gen-ai-event-span-key.js';
export { interactionContentKey } from './interaction-content-key.js';
export { isGenAiContentLogRecord, stripSpanContent, strippedLogRecord } from './strip-content.js';
export { spanReportsResponse } from './span-reports-response.js';
export { requestsOutputSchema } from './requests-output-schema.js';
