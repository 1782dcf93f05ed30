import { randomBytes } from 'node:crypto';
import { parse, parseDocument } from 'yaml';
import type { ConfigIssue } from './config-error.js';
import { formatPath } from './config-error.js';

export type Environment = Readonly<Record<string, string | undefined>>;

/** The configuration tree after substitution, with what is needed to report precisely. */
export interface ParsedConfig {
  readonly value: unknown;
  readonly issues: readonly ConfigIssue[];
  /**
   * Values that were exactly one `${...}` reference and became a number or boolean, keyed by
   * path, with the text they came from. A field that wants a string gets the text back, so
   * `port: ${env:PORT}` is a number and `api_key: ${env:KEY}` stays a string even when KEY is "123".
   */
  readonly typedSubstitutions: ReadonlyMap<string, string>;
}

type Reference =
  { kind: 'reference'; source: string; variable: string; fallback: string | undefined } | { kind: 'dollar' };

const variableNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses configuration YAML and substitutes `${env:VAR}`, `${VAR}`, `${env:VAR:-default}` and
 * `$$` (a literal `$`) in values. References are swapped for plain tokens before parsing, because
 * `{ key: ${env:X} }` is not valid YAML as written (braces are flow indicators) yet users write it.
 */
export function parseConfigYaml(text: string, environment: Environment): ParsedConfig {
  const issues: ConfigIssue[] = [];
  const nonce = randomBytes(6).toString('hex');
  const tokenPattern = new RegExp(`semtelref${nonce}x(\\d+)x`, 'g');
  const references: Reference[] = [];
  const protectedText = protectReferences(text, nonce, references, issues);
  if (issues.length > 0) return { value: undefined, issues, typedSubstitutions: new Map() };

  const document = parseDocument(protectedText, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    const restore = (message: string): string =>
      message.replace(tokenPattern, (_match, index: string) => sourceOf(references[Number(index)]));
    return {
      value: undefined,
      issues: document.errors.map((error) => ({ path: '', message: `YAML: ${restore(error.message).trimEnd()}` })),
      typedSubstitutions: new Map(),
    };
  }
  const typedSubstitutions = new Map<string, string>();
  let raw: unknown;
  try {
    raw = document.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return {
      value: undefined,
      issues: [{ path: '', message: `YAML: ${(error as Error).message}` }],
      typedSubstitutions,
    };
  }

  const substitute = (text: string, path: readonly PropertyKey[]): unknown => {
    const parts = text.split(tokenPattern);
    if (parts.length === 1) return text;
    let result = '';
    let onlyReference: string | undefined;
    let failed = false;
    // split() with a capture group alternates literal text and token indexes.
    for (let position = 0; position < parts.length; position++) {
      const part = parts[position] as string;
      if (position % 2 === 0) {
        result += part;
        continue;
      }
      const reference = references[Number(part)];
      if (reference === undefined) continue;
      if (reference.kind === 'dollar') {
        result += '$';
        continue;
      }
      const value = environment[reference.variable];
      const resolved =
        value === undefined || (value === '' && reference.fallback !== undefined) ? reference.fallback : value;
      if (resolved === undefined) {
        issues.push({ path: formatPath(path), message: `environment variable ${reference.variable} is not set` });
        failed = true;
        continue;
      }
      result += resolved;
      if (parts.length === 3 && parts[0] === '' && parts[2] === '') onlyReference = resolved;
    }
    if (failed) return undefined;
    if (onlyReference !== undefined) {
      const typed = scalarValue(onlyReference);
      if (typed !== undefined) {
        typedSubstitutions.set(formatPath(path), onlyReference);
        return typed;
      }
    }
    return result;
  };

  const walk = (node: unknown, path: readonly PropertyKey[]): unknown => {
    if (typeof node === 'string') return substitute(node, path);
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (node !== null && typeof node === 'object') {
      const result: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        // Keys are never substituted (as in the collector); show them as written.
        const originalKey = key.replace(tokenPattern, (_match, index: string) => sourceOf(references[Number(index)]));
        result[originalKey] = walk(child, [...path, originalKey]);
      }
      return result;
    }
    return node;
  };
  return { value: walk(raw, []), issues, typedSubstitutions };
}

function sourceOf(reference: Reference | undefined): string {
  if (reference === undefined) return '';
  return reference.kind === 'dollar' ? '$$' : reference.source;
}

/** A whole-value substitution that YAML reads as a number or boolean becomes one. */
function scalarValue(text: string): number | boolean | undefined {
  if (text.trim() !== text || text === '') return undefined;
  try {
    const value: unknown = parse(text);
    return typeof value === 'number' || typeof value === 'boolean' ? value : undefined;
  } catch {
    return undefined;
  }
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index++) if (text.charCodeAt(index) === 10) line++;
  return line;
}

function protectReferences(text: string, nonce: string, references: Reference[], issues: ConfigIssue[]): string {
  let output = '';
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf('$', index);
    if (dollar < 0) {
      output += text.slice(index);
      break;
    }
    output += text.slice(index, dollar);
    const next = text[dollar + 1];
    if (next === '$') {
      references.push({ kind: 'dollar' });
      output += `semtelref${nonce}x${references.length - 1}x`;
      index = dollar + 2;
      continue;
    }
    if (next !== '{') {
      output += '$';
      index = dollar + 1;
      continue;
    }
    const close = text.indexOf('}', dollar + 2);
    const newline = text.indexOf('\n', dollar + 2);
    if (close < 0 || (newline >= 0 && newline < close)) {
      issues.push({ path: '', message: `line ${lineOf(text, dollar)}: "\${" without a closing "}"` });
      output += '$';
      index = dollar + 1;
      continue;
    }
    const source = text.slice(dollar, close + 1);
    const parsed = parseReference(text.slice(dollar + 2, close));
    if (typeof parsed === 'string') {
      issues.push({ path: '', message: `line ${lineOf(text, dollar)}: ${source}: ${parsed}` });
    } else {
      references.push({ kind: 'reference', source, ...parsed });
      output += `semtelref${nonce}x${references.length - 1}x`;
    }
    index = close + 1;
  }
  return output;
}

/** `env:NAME`, `env:NAME:-default`, `NAME` or `NAME:-default`; a string is the reason it is invalid. */
function parseReference(body: string): { variable: string; fallback: string | undefined } | string {
  let rest = body;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):(?!-)/.exec(rest);
  if (scheme !== null) {
    if (scheme[1] !== 'env') return `unsupported provider "${scheme[1]}:"; only \${env:VAR} is supported`;
    rest = rest.slice(scheme[0].length);
  }
  const separator = rest.indexOf(':-');
  const variable = separator < 0 ? rest : rest.slice(0, separator);
  const fallback = separator < 0 ? undefined : rest.slice(separator + 2);
  if (!variableNamePattern.test(variable)) {
    return variable === ''
      ? 'missing variable name'
      : `invalid variable name "${variable}" (use letters, digits and "_", not starting with a digit)`;
  }
  return { variable, fallback };
}
