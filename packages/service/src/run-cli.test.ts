import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { noopLogger } from '@semtel/component';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfigPath } from './load-config.js';
import type { CliIo } from './run-cli.js';
import { runCli, usage } from './run-cli.js';
import type { RunningService } from './service.js';

function capture(overrides: Partial<CliIo> = {}) {
  const output = { stdout: '', stderr: '' };
  const io: CliIo = {
    stdout: (text) => {
      output.stdout += text;
    },
    stderr: (text) => {
      output.stderr += text;
    },
    env: {},
    ...overrides,
  };
  return { io, output };
}

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'semtel-cli-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('semtel CLI', () => {
  it('prints usage for --help and the package version for --version', async () => {
    const help = capture();
    expect(await runCli(['--help'], help.io)).toBe(0);
    expect(help.output.stdout).toBe(usage);
    expect(usage).toMatch(/start \[--config FILE\]/);

    const version = capture();
    expect(await runCli(['--version'], version.io)).toBe(0);
    const packageJson = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(version.output.stdout).toBe(`semtel ${packageJson.version}\n`);
  });

  it.each([
    [[], 'no command given'],
    [['serve'], 'unknown command "serve"'],
    [['--verbose'], "Unknown option '--verbose'"],
    [['validate'], 'validate takes exactly one FILE'],
  ])('exits 2 with usage for %j', async (argv, message) => {
    const { io, output } = capture();
    expect(await runCli(argv, io)).toBe(2);
    expect(output.stderr).toContain(message);
    expect(output.stderr).toContain('Usage: semtel');
  });

  it('classify needs an input file', async () => {
    const { io, output } = capture();
    expect(await runCli(['classify'], io)).toBe(2);
    expect(output.stderr).toContain('classify needs at least one INPUT file');
  });

  it('classifies the GenAI spans of an OTLP/JSON file offline and writes them enriched', async () => {
    const input = path.join(directory, 'input.jsonl');
    const messages = JSON.stringify([
      { role: 'user', parts: [{ type: 'text', content: 'How do I fix a KeyError in my Python dict lookup?' }] },
    ]);
    const request = (spanId: string, attributes: object[]) =>
      JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'demo' } }] },
            scopeSpans: [
              {
                scope: { name: 'app' },
                spans: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId, name: 'span', kind: 3, attributes }],
              },
            ],
          },
        ],
      });
    await writeFile(
      input,
      [
        request('eee19b7ec3c1b174', [
          { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
          { key: 'gen_ai.input.messages', value: { stringValue: messages } },
        ]),
        request('eee19b7ec3c1b175', [{ key: 'http.route', value: { stringValue: '/health' } }]),
      ].join('\n'),
    );
    const outputFile = path.join(directory, 'classified.jsonl');
    const { io, output } = capture();
    expect(await runCli(['classify', '--output', outputFile, input], io)).toBe(0);
    expect(output.stderr).toContain('2 spans written; GenAI spans by status: classified=1');
    const lines = (await readFile(outputFile, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(2);
    const text = lines.join('\n');
    expect(text).toContain('"semtel.status","value":{"stringValue":"classified"}');
    expect(text).toContain('"semtel.classifier.model","value":{"stringValue":"lexical"}');
    expect(text).toContain('"key":"semtel.domain"');
  });

  it('classify reports an unreadable input precisely', async () => {
    const input = path.join(directory, 'bad.jsonl');
    await writeFile(input, '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}\n');
    const { io, output } = capture();
    expect(await runCli(['classify', input], io)).toBe(1);
    expect(output.stderr).toContain('resourceSpans[0].scopeSpans[0].spans[0].traceId: not hex');
  });

  it('validates the shipped default configuration', async () => {
    const { io, output } = capture();
    expect(await runCli(['validate', defaultConfigPath], io)).toBe(0);
    expect(output.stdout).toBe('config is valid\n');
    expect(output.stderr).toBe('');
  });

  it('prints every problem with its path and exits 1', async () => {
    const file = path.join(directory, 'bad.yaml');
    await writeFile(
      file,
      `receivers: { otlp: }
exporters:
  otlp_http/honeycomb: { endpoint: "ftp://x", headers: { x-honeycomb-team: \${env:HONEYCOMB_API_KEY} } }
  debug: {}
service:
  pipelines:
    traces: { receivers: [otlp], exporters: [otlp_http/honeycomb, jaeger] }
`,
    );
    const { io, output } = capture();
    expect(await runCli(['validate', file], io)).toBe(1);
    expect(output.stdout).toBe('');
    expect(output.stderr).toBe(
      [
        `warning: exporters.debug: defined but not used in any pipeline; it will not run`,
        `${file}: 3 problems`,
        '  exporters.otlp_http/honeycomb.headers.x-honeycomb-team: environment variable HONEYCOMB_API_KEY is not set',
        '  exporters.otlp_http/honeycomb.endpoint: must be an http:// or https:// URL',
        '  service.pipelines.traces.exporters[1]: exporter "jaeger" is not defined',
        '',
      ].join('\n'),
    );
  });

  it('reports an invalid config at start and starts nothing', async () => {
    const file = path.join(directory, 'invalid-start.yaml');
    await writeFile(
      file,
      'receivers: { otlp: }\nservice: { pipelines: { traces: { receivers: [otlp], exporters: [] } } }\n',
    );
    const { io, output } = capture();
    expect(await runCli(['start', `--config=${file}`], io)).toBe(1);
    expect(output.stderr).toContain('the configuration is invalid; nothing was started');
    expect(output.stderr).toContain('service.pipelines.traces.exporters: a pipeline needs at least one exporter');
  });

  it('starts with --config, shuts down on SIGTERM and exits 0', async () => {
    const file = path.join(directory, 'start.yaml');
    await writeFile(
      file,
      `receivers: { otlp: { protocols: { http: { endpoint: 127.0.0.1:0 }, grpc: { endpoint: 127.0.0.1:0 } } } }
exporters: { debug: }
extensions: { health_check: { endpoint: 127.0.0.1:0 } }
service:
  extensions: [health_check]
  pipelines: { traces: { receivers: [otlp], exporters: [debug] } }
  telemetry: { metrics: { address: 127.0.0.1:0 } }
`,
    );
    const signals = new EventEmitter();
    let service: RunningService | undefined;
    const { io } = capture({
      signals: signals as unknown as CliIo['signals'],
      serviceOptions: { logger: noopLogger },
      onStarted: (started) => {
        service = started;
      },
    });
    const exit = runCli(['start', '--config', file], io);
    await expect.poll(() => service?.status.state, { timeout: 10_000 }).toBe('running');
    const health = await fetch(`http://${service?.addresses.extensions.health_check?.http}/`);
    expect(health.status).toBe(200);
    expect(service?.addresses.receivers.otlp?.http).toMatch(/^127\.0\.0\.1:\d+$/);
    signals.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(service?.status.state).toBe('stopped');
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('exits 1 at once on a second signal while shutting down', async () => {
    const file = path.join(directory, 'start-twice.yaml');
    await writeFile(
      file,
      `receivers: { otlp: { protocols: { http: { endpoint: 127.0.0.1:0 } } } }
exporters: { debug: }
service:
  pipelines: { traces: { receivers: [otlp], exporters: [debug] } }
  telemetry: { metrics: { level: none } }
`,
    );
    const signals = new EventEmitter();
    let service: RunningService | undefined;
    const { io } = capture({
      signals: signals as unknown as CliIo['signals'],
      serviceOptions: { logger: noopLogger },
      onStarted: (started) => {
        service = started;
      },
    });
    const exit = runCli(['start', '--config', file], io);
    await expect.poll(() => service?.status.state, { timeout: 10_000 }).toBe('running');
    signals.emit('SIGINT');
    signals.emit('SIGINT');
    expect(await exit).toBe(1);
    await service?.stopped;
  });
});
