export interface TaxonomyIssue {
  /** Where the problem is, e.g. `dimensions[2].labels[0].name`, prefixed with the file for file taxonomies. */
  path: string;
  message: string;
}

/** Every problem of a taxonomy configuration at once, each with its path. */
export class TaxonomyError extends Error {
  override readonly name = 'TaxonomyError';
  readonly issues: TaxonomyIssue[];

  constructor(issues: TaxonomyIssue[]) {
    super(
      `invalid taxonomy:\n${issues.map((issue) => `  ${issue.path ? `${issue.path}: ` : ''}${issue.message}`).join('\n')}`,
    );
    this.issues = issues;
  }
}

export function formatIssuePath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  }
  return text;
}
