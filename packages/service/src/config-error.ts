/** One problem in a configuration, located by its path (`exporters.otlp_http/honeycomb.endpoint`). */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

export function formatConfigIssue(issue: ConfigIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

/** Thrown when a configuration is invalid; carries every issue found, not only the first. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((issue) => `  ${formatConfigIssue(issue)}`).join('\n')}`);
    this.issues = issues;
  }
}

/** Joins path segments the way users read them: keys with dots, list positions in brackets. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += path === '' ? String(segment) : `.${String(segment)}`;
  }
  return path;
}
