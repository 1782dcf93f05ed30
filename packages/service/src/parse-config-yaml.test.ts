import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from './parse-config-yaml.js';

describe('parseConfigYaml', () => {
  const environment = { KEY: 'secret', PORT: '4317', EMPTY: '', FLAG: 'true', NUMERIC_KEY: '123' };

  it('substitutes ${env:VAR} and ${VAR}, inside flow mappings too', () => {
    const { value, issues } = parseConfigYaml(
      'a: ${env:KEY}\nb: { c: ${KEY}, d: "x-${env:KEY}-y" }\nlist: [${env:KEY}, plain]\n',
      environment,
    );
    expect(issues).toEqual([]);
    expect(value).toEqual({ a: 'secret', b: { c: 'secret', d: 'x-secret-y' }, list: ['secret', 'plain'] });
  });

  it('uses the default when the variable is unset or empty, and the value when set', () => {
    const { value, issues } = parseConfigYaml(
      'a: ${env:MISSING:-fallback}\nb: ${EMPTY:-fallback}\nc: ${env:KEY:-fallback}\nd: ${env:MISSING:-}\ne: ${env:MISSING:-a:b c}\n',
      environment,
    );
    expect(issues).toEqual([]);
    expect(value).toEqual({ a: 'fallback', b: 'fallback', c: 'secret', d: '', e: 'a:b c' });
  });

  it('keeps an empty variable empty when no default is given', () => {
    expect(parseConfigYaml('a: "${env:EMPTY}"\n', environment).value).toEqual({ a: '' });
  });

  it('turns $$ into a literal $ and leaves other dollars alone', () => {
    const { value, issues } = parseConfigYaml('a: price $$5\nb: $${env:KEY}\nc: cost $5\n', environment);
    expect(issues).toEqual([]);
    expect(value).toEqual({ a: 'price $5', b: '${env:KEY}', c: 'cost $5' });
  });

  it('reports every missing variable with its path', () => {
    const { issues } = parseConfigYaml(
      'exporters:\n  otlp_http:\n    headers:\n      x-honeycomb-team: ${env:HONEYCOMB_API_KEY}\n  other:\n    list: [a, "${env:ALSO_MISSING}"]\n',
      environment,
    );
    expect(issues).toEqual([
      {
        path: 'exporters.otlp_http.headers.x-honeycomb-team',
        message: 'environment variable HONEYCOMB_API_KEY is not set',
      },
      { path: 'exporters.other.list[1]', message: 'environment variable ALSO_MISSING is not set' },
    ]);
  });

  it('makes a whole-value reference a number or boolean, remembering the text', () => {
    const parsed = parseConfigYaml(
      'port: ${env:PORT}\nflag: ${FLAG}\nkey: ${NUMERIC_KEY}\nmixed: ":${PORT}"\n',
      environment,
    );
    expect(parsed.value).toEqual({ port: 4317, flag: true, key: 123, mixed: ':4317' });
    expect([...parsed.typedSubstitutions]).toEqual([
      ['port', '4317'],
      ['flag', 'true'],
      ['key', '123'],
    ]);
  });

  it('rejects malformed references and other providers with their line', () => {
    const { issues } = parseConfigYaml('a: ${env:}\nb: ${file:/etc/x}\nc: ${1BAD}\nd: ${env:UNCLOSED\n', environment);
    expect(issues.map((issue) => issue.message)).toEqual([
      'line 1: ${env:}: missing variable name',
      'line 2: ${file:/etc/x}: unsupported provider "file:"; only ${env:VAR} is supported',
      'line 3: ${1BAD}: invalid variable name "1BAD" (use letters, digits and "_", not starting with a digit)',
      'line 4: "${" without a closing "}"',
    ]);
  });

  it('does not substitute keys and ignores references in comments', () => {
    const { value, issues } = parseConfigYaml('# uses ${env:NOT_SET}\n${KEY}: 1\n', environment);
    expect(issues).toEqual([]);
    expect(value).toEqual({ '${KEY}': 1 });
  });

  it('reports YAML syntax errors with their position', () => {
    const { value, issues } = parseConfigYaml('a: [1, 2\nb: ${env:KEY}\n', environment);
    expect(value).toBeUndefined();
    expect(issues[0]?.message).toMatch(/^YAML: .*line \d+/s);
  });

  it('rejects duplicate keys', () => {
    const { issues } = parseConfigYaml('a: 1\na: 2\n', environment);
    expect(issues[0]?.message).toMatch(/unique/i);
  });
});
