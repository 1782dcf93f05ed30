import type { Signal } from '@semtel/component';
import { parseComponentId } from '@semtel/component';
import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';
import { formatPath } from './config-error.js';
import { durableQueueAcknowledgementIssues } from './durable-queue-acknowledgement.js';
import type { ComponentKind, Factories } from './factories.js';
import { sectionOfKind } from './factories.js';
import type { PipelineConfig, ServiceConfig } from './service-config-schema.js';
import { pipelineConfigSchema, serviceSectionSchemas } from './service-config-schema.js';

export interface ComponentConfig {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  /** The factory's parsed config, defaults filled in. */
  readonly config: unknown;
}

export interface PipelineSpec {
  readonly id: string;
  readonly signal: Signal;
  readonly receivers: readonly string[];
  readonly processors: readonly string[];
  readonly exporters: readonly string[];
}

/** A configuration that passed validation; only components that will run are listed. */
export interface ResolvedConfig {
  readonly receivers: ReadonlyMap<string, ComponentConfig>;
  readonly processors: ReadonlyMap<string, ComponentConfig>;
  readonly exporters: ReadonlyMap<string, ComponentConfig>;
  readonly extensions: ReadonlyMap<string, ComponentConfig>;
  readonly pipelines: readonly PipelineSpec[];
  readonly service: ServiceConfig;
}

export interface ValidationResult {
  readonly config: ResolvedConfig | undefined;
  readonly issues: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
}

const signals: readonly Signal[] = ['traces', 'logs', 'metrics'];
const typePattern = /^[a-z][a-z0-9_]*$/;
const topLevelKeys = new Set(['receivers', 'processors', 'exporters', 'extensions', 'service']);
const kinds: readonly ComponentKind[] = ['receiver', 'processor', 'exporter', 'extension'];

/**
 * Checks a substituted configuration tree against the service shape and every component's
 * schema, collecting every issue rather than stopping at the first.
 */
export function validateConfig(
  tree: unknown,
  factories: Factories,
  typedSubstitutions: ReadonlyMap<string, string> = new Map(),
): ValidationResult {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const root = tree ?? {};
  if (!isRecord(root)) {
    return { config: undefined, issues: [{ path: '', message: 'the configuration must be a mapping' }], warnings };
  }
  for (const key of Object.keys(root)) {
    if (key === 'connectors') {
      issues.push({ path: key, message: 'connectors are not supported by semtel' });
    } else if (!topLevelKeys.has(key)) {
      issues.push({ path: key, message: `unknown section (expected ${[...topLevelKeys].join(', ')})` });
    }
  }

  const defined = new Map<ComponentKind, Map<string, ComponentConfig | undefined>>();
  for (const kind of kinds) {
    const section = sectionOfKind[kind];
    const components = new Map<string, ComponentConfig | undefined>();
    defined.set(kind, components);
    const raw = root[section] ?? {};
    if (!isRecord(raw)) {
      issues.push({ path: section, message: 'must be a mapping of component ids to their settings' });
      continue;
    }
    for (const [id, settings] of Object.entries(raw)) {
      // undefined marks an id that is defined but invalid, so references to it are not reported twice.
      components.set(id, resolveComponent(kind, id, settings, factories, typedSubstitutions, issues));
    }
  }

  const service = resolveService(root.service, typedSubstitutions, issues);

  const pipelines: PipelineSpec[] = [];
  const used = new Map<ComponentKind, Set<string>>(kinds.map((kind) => [kind, new Set<string>()]));
  const processorUse = new Map<string, string>();
  if (Object.keys(service.pipelines).length === 0) {
    issues.push({ path: 'service.pipelines', message: 'define at least one pipeline (traces, logs or metrics)' });
  }
  for (const [pipelineId, pipeline] of Object.entries(service.pipelines)) {
    const path = `service.pipelines.${pipelineId}`;
    const { type: signalText, name } = parseComponentId(pipelineId);
    const signal = signals.find((candidate) => candidate === signalText);
    if (signal === undefined) {
      issues.push({
        path,
        message: `unknown pipeline signal "${signalText}" (expected traces, logs or metrics, optionally /name)`,
      });
    } else if (pipelineId.includes('/') && name === '') {
      issues.push({ path, message: 'a pipeline name after "/" must not be empty' });
    }
    const lists = [
      ['receiver', 'receivers', pipeline.receivers],
      ['processor', 'processors', pipeline.processors],
      ['exporter', 'exporters', pipeline.exporters],
    ] as const;
    for (const [kind, key, ids] of lists) {
      if (kind !== 'processor' && ids.length === 0) {
        issues.push({ path: `${path}.${key}`, message: `a pipeline needs at least one ${kind}` });
      }
      const seen = new Set<string>();
      ids.forEach((id, index) => {
        const itemPath = `${path}.${key}[${index}]`;
        if (seen.has(id)) issues.push({ path: itemPath, message: `${kind} "${id}" is listed twice` });
        seen.add(id);
        const components = defined.get(kind) as Map<string, ComponentConfig | undefined>;
        used.get(kind)?.add(id);
        if (!components.has(id)) {
          issues.push({ path: itemPath, message: `${kind} "${id}" is not defined` });
          return;
        }
        const factory = findFactory(factories, kind, parseComponentId(id).type);
        if (
          signal !== undefined &&
          factory !== undefined &&
          'signals' in factory &&
          !factory.signals.includes(signal)
        ) {
          issues.push({
            path: itemPath,
            message: `${kind} "${id}" does not support ${signal} (it supports ${factory.signals.join(', ')})`,
          });
        }
        if (kind === 'processor' && signal !== undefined) {
          // One instance per id has one next consumer per signal, so it cannot serve two pipelines of a signal.
          const other = processorUse.get(`${id}\u0000${signal}`);
          if (other !== undefined && other !== pipelineId) {
            issues.push({
              path: itemPath,
              message: `processor "${id}" is already used by pipeline "${other}"; a processor serves one ${signal} pipeline, so define another instance (e.g. "${parseComponentId(id).type}/${pipelineId.replace('/', '_')}")`,
            });
          }
          processorUse.set(`${id}\u0000${signal}`, pipelineId);
        }
      });
    }
    if (signal !== undefined) {
      pipelines.push({
        id: pipelineId,
        signal,
        receivers: pipeline.receivers,
        processors: pipeline.processors,
        exporters: pipeline.exporters,
      });
    }
  }
  warnings.push(...semanticLogsWarnings(pipelines));
  issues.push(
    ...durableQueueAcknowledgementIssues(
      pipelines,
      defined.get('processor') as Map<string, ComponentConfig | undefined>,
      defined.get('exporter') as Map<string, ComponentConfig | undefined>,
    ),
  );
  const extensionComponents = defined.get('extension') as Map<string, ComponentConfig | undefined>;
  const seenExtensions = new Set<string>();
  service.extensions.forEach((id, index) => {
    const path = `service.extensions[${index}]`;
    if (seenExtensions.has(id)) issues.push({ path, message: `extension "${id}" is listed twice` });
    seenExtensions.add(id);
    used.get('extension')?.add(id);
    if (!extensionComponents.has(id)) issues.push({ path, message: `extension "${id}" is not defined` });
  });

  const active = (kind: ComponentKind): Map<string, ComponentConfig> => {
    const result = new Map<string, ComponentConfig>();
    for (const [id, component] of defined.get(kind) ?? []) {
      if (!used.get(kind)?.has(id)) {
        const where = kind === 'extension' ? 'service.extensions' : 'any pipeline';
        warnings.push({
          path: `${sectionOfKind[kind]}.${id}`,
          message: `defined but not used in ${where}; it will not run`,
        });
      } else if (component !== undefined) {
        result.set(id, component);
      }
    }
    return result;
  };
  const config: ResolvedConfig = {
    receivers: active('receiver'),
    processors: active('processor'),
    exporters: active('exporter'),
    extensions: active('extension'),
    pipelines,
    service,
  };
  return { config: issues.length === 0 ? config : undefined, issues, warnings };
}

/**
 * The `semantic` processor joins GenAI content that instrumentations send as log records
 * (`@opentelemetry/instrumentation-openai` sends it no other way) only if the same processor
 * instance also sees the logs. A config that puts it in a traces pipeline but in no logs pipeline
 * carrying those records is valid, but every such span would leave `skipped_no_content`: warn,
 * naming the fix.
 */
function semanticLogsWarnings(pipelines: readonly PipelineSpec[]): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  const logsPipelines = pipelines.filter((pipeline) => pipeline.signal === 'logs');
  const reported = new Set<string>();
  for (const traces of pipelines) {
    if (traces.signal !== 'traces') continue;
    for (const processor of traces.processors) {
      if (parseComponentId(processor).type !== 'semantic' || reported.has(processor)) continue;
      // Logs of the same receivers are the ones the app's log exporter sends next to its spans.
      const sharing = logsPipelines.filter((logs) => logs.receivers.some((id) => traces.receivers.includes(id)));
      const carrying = sharing.length > 0 ? sharing : logsPipelines;
      if (carrying.some((logs) => logs.processors.includes(processor))) continue;
      reported.add(processor);
      const consequence =
        'GenAI content sent as log records (e.g. by @opentelemetry/instrumentation-openai) never reaches it, so those spans get semtel.status=skipped_no_content';
      if (carrying.length === 0) {
        warnings.push({
          path: 'service.pipelines',
          message: `processor "${processor}" is in pipeline "${traces.id}" but there is no logs pipeline: ${consequence}; add one, e.g. logs: { receivers: [${traces.receivers.join(', ')}], processors: [${processor}], exporters: [...] }`,
        });
        continue;
      }
      for (const logs of carrying) {
        warnings.push({
          path: `service.pipelines.${logs.id}.processors`,
          message: `processor "${processor}" is in pipeline "${traces.id}" but not in this logs pipeline: ${consequence}; add "${processor}" to its processors`,
        });
      }
    }
  }
  return warnings;
}

/**
 * Parses `service:` key by key and pipeline by pipeline, so a bad telemetry level does not hide
 * an undefined exporter; what fails to parse is left out of the result (its issue is reported).
 */
function resolveService(
  raw: unknown,
  typedSubstitutions: ReadonlyMap<string, string>,
  issues: ConfigIssue[],
): ServiceConfig {
  const section = raw ?? {};
  if (!isRecord(section)) {
    issues.push({ path: 'service', message: 'must be a mapping' });
  }
  const values = isRecord(section) ? section : {};
  for (const key of Object.keys(values)) {
    if (!(key in serviceSectionSchemas)) issues.push({ path: `service.${key}`, message: 'unknown key' });
  }
  const parse = <Output>(key: keyof typeof serviceSectionSchemas, schema: z.ZodType<Output>): Output => {
    const parsed = parseWithSubstitutions(schema, values[key], ['service', key], typedSubstitutions, issues);
    return parsed === undefined ? schema.parse(undefined) : parsed.value;
  };
  const pipelines: Record<string, PipelineConfig> = {};
  const rawPipelines = values.pipelines ?? {};
  if (!isRecord(rawPipelines)) {
    issues.push({ path: 'service.pipelines', message: 'must be a mapping of pipeline ids to pipelines' });
  } else {
    for (const [id, pipeline] of Object.entries(rawPipelines)) {
      const parsed = parseWithSubstitutions(
        pipelineConfigSchema,
        pipeline,
        ['service', 'pipelines', id],
        typedSubstitutions,
        issues,
      );
      if (parsed !== undefined) pipelines[id] = parsed.value;
    }
  }
  return {
    extensions: parse('extensions', serviceSectionSchemas.extensions),
    pipelines,
    telemetry: parse('telemetry', serviceSectionSchemas.telemetry),
    shutdown_timeout: parse('shutdown_timeout', serviceSectionSchemas.shutdown_timeout),
  };
}

function resolveComponent(
  kind: ComponentKind,
  id: string,
  settings: unknown,
  factories: Factories,
  typedSubstitutions: ReadonlyMap<string, string>,
  issues: ConfigIssue[],
): ComponentConfig | undefined {
  const section = sectionOfKind[kind];
  const path = `${section}.${id}`;
  const { type, name } = parseComponentId(id);
  if (!typePattern.test(type)) {
    issues.push({
      path,
      message: `invalid ${kind} id "${id}": the type must be lower_snake_case, optionally followed by /name`,
    });
    return undefined;
  }
  if (id.includes('/') && (name === '' || /\s/.test(name))) {
    issues.push({
      path,
      message: `invalid ${kind} id "${id}": the name after "/" must be non-empty and without spaces`,
    });
    return undefined;
  }
  const factory = findFactory(factories, kind, type);
  if (factory === undefined) {
    const known = factories[section].map((candidate) => candidate.type).join(', ');
    issues.push({ path, message: `unknown ${kind} type "${type}" (known: ${known === '' ? 'none' : known})` });
    return undefined;
  }
  const config = parseWithSubstitutions(
    factory.configSchema,
    settings ?? {},
    [section, id],
    typedSubstitutions,
    issues,
  );
  return config === undefined ? undefined : { id, type, name, config: config.value };
}

function findFactory(factories: Factories, kind: ComponentKind, type: string) {
  return factories[sectionOfKind[kind]].find((factory) => factory.type === type);
}

/**
 * Parses with a schema; where a field wants a string but got a number or boolean that came
 * from a whole-value `${...}`, gives it the original text and parses again.
 */
export function parseWithSubstitutions<Output>(
  schema: z.ZodType<Output>,
  input: unknown,
  basePath: readonly PropertyKey[],
  typedSubstitutions: ReadonlyMap<string, string>,
  issues: ConfigIssue[],
): { value: Output } | undefined {
  let value = input;
  // Each retry turns at least one substitution back into text, so this ends.
  for (let attempt = 0; attempt <= typedSubstitutions.size; attempt++) {
    const result = schema.safeParse(value);
    if (result.success) return { value: result.data };
    let changed = false;
    for (const issue of result.error.issues) {
      const fullPath = formatPath([...basePath, ...issue.path]);
      const text = typedSubstitutions.get(fullPath);
      if (issue.code === 'invalid_type' && issue.expected === 'string' && text !== undefined && issue.path.length > 0) {
        value = replaceAt(value, issue.path, text);
        changed = true;
      }
    }
    if (!changed || attempt === typedSubstitutions.size) {
      for (const issue of result.error.issues) issues.push(...toConfigIssues(issue, basePath));
      return undefined;
    }
  }
  return undefined;
}

function toConfigIssues(issue: z.core.$ZodIssue, basePath: readonly PropertyKey[]): ConfigIssue[] {
  const path = [...basePath, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatPath([...path, key]), message: 'unknown key' }));
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // Report the branch that got furthest: usually the one the user meant.
    const branches = issue.errors.filter((branch) => branch.length > 0);
    const best = branches.sort((a, b) => depth(b) - depth(a))[0];
    if (best !== undefined && depth(best) > 0) return best.flatMap((inner) => toConfigIssues(inner, path));
  }
  return [{ path: formatPath(path), message: issue.message }];
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((issue) => issue.path.length));
}

function replaceAt(root: unknown, path: readonly PropertyKey[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(root) && typeof head === 'number') {
    const copy = [...root];
    copy[head] = replaceAt(copy[head], rest, replacement);
    return copy;
  }
  if (isRecord(root) && head !== undefined) {
    return { ...root, [head as string]: replaceAt(root[head as string], rest, replacement) };
  }
  return root;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
