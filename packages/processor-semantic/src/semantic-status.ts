/** The values of `<prefix>.status`: why a GenAI span carries the labels it carries. */
export const SemanticStatus = {
  classified: 'classified',
  cached: 'cached',
  skippedNoContent: 'skipped_no_content',
  sampledOut: 'sampled_out',
  timeout: 'timeout',
  error: 'error',
  unavailable: 'unavailable',
  overBudget: 'over_budget',
} as const;
export type SemanticStatus = (typeof SemanticStatus)[keyof typeof SemanticStatus];
