import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ConfigIssue } from './config-error.js';
import { applyDefaultExporters } from './default-exporters.js';
import type { Factories } from './factories.js';
import { applyOtlpExporterEnvironment } from './otlp-exporter-environment.js';
import type { Environment } from './parse-config-yaml.js';
import { parseConfigYaml } from './parse-config-yaml.js';
import type { ValidationResult } from './validate-config.js';
import { validateConfig } from './validate-config.js';

/** The configuration used when none is given; shipped as a file so `semtel validate` can check it. */
export const defaultConfigPath = fileURLToPath(new URL('../config/default.yaml', import.meta.url));

export interface ConfigSource {
  /** YAML text, or an already-parsed tree (taken as is: no `${...}` substitution). */
  config?: string | Record<string, unknown>;
  /** A YAML file; used when `config` is absent. */
  configFile?: string;
  /** For `${env:...}` and `OTEL_EXPORTER_OTLP_*`; defaults to `process.env`. */
  env?: Environment;
}

export interface LoadedConfig extends ValidationResult {
  /** Where the configuration came from, for logs: a file path, "inline" or "default". */
  readonly origin: string;
}

/**
 * Reads, substitutes and validates a configuration. With neither `config` nor `configFile` it
 * loads the default configuration and applies the `OTEL_EXPORTER_OTLP_*` variables to it.
 */
export async function loadConfig(source: ConfigSource, factories: Factories): Promise<LoadedConfig> {
  const environment = source.env ?? process.env;
  if (source.config !== undefined && typeof source.config !== 'string') {
    const defaulted = applyDefaultExporters(source.config);
    const result = validateConfig(defaulted.tree, factories);
    return { origin: 'inline', ...result, warnings: [...defaulted.notices, ...result.warnings] };
  }
  let text: string;
  let origin: string;
  if (typeof source.config === 'string') {
    text = source.config;
    origin = 'inline';
  } else {
    origin = source.configFile ?? 'default';
    const file = source.configFile ?? defaultConfigPath;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      return {
        origin,
        config: undefined,
        issues: [{ path: '', message: `cannot read ${file}: ${reason}` }],
        warnings: [],
      };
    }
  }
  const parsed = parseConfigYaml(text, environment);
  const issues: ConfigIssue[] = [...parsed.issues];
  let tree = parsed.value;
  let environmentWarnings: ConfigIssue[] = [];
  if (source.config === undefined && source.configFile === undefined && isRecord(tree)) {
    const applied = applyOtlpExporterEnvironment(tree, environment);
    tree = applied.tree;
    issues.push(...applied.issues);
    environmentWarnings = applied.warnings;
  }
  if (issues.length > 0 && tree === undefined) return { origin, config: undefined, issues, warnings: [] };
  const defaulted = isRecord(tree) ? applyDefaultExporters(tree) : { tree, notices: [] };
  tree = defaulted.tree;
  const result = validateConfig(tree, factories, parsed.typedSubstitutions);
  // A missing variable leaves its field empty; the schema's complaint about that adds nothing.
  const reported = new Set(issues.map((issue) => issue.path));
  const allIssues = [...issues, ...result.issues.filter((issue) => !reported.has(issue.path))];
  return {
    origin,
    config: allIssues.length === 0 ? result.config : undefined,
    issues: allIssues,
    warnings: [...environmentWarnings, ...defaulted.notices, ...result.warnings],
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
