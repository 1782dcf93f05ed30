import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Logger } from '@semtel/component';
import { errorMessage } from '@semtel/component';
import { builtinFactories } from './builtin-factories.js';
import { runClassify } from './classify-command.js';
import { ConfigError, formatConfigIssue } from './config-error.js';
import { loadConfig } from './load-config.js';
import type { Environment } from './parse-config-yaml.js';
import type { RunningService, StartServiceOptions } from './service.js';
import { startService } from './service.js';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Environment;
  /** Process signals for `start`; tests pass their own emitter or leave it to the real process. */
  readonly signals?: SignalSource;
  /** Passed to startService, so tests can capture logs. */
  readonly serviceOptions?: Partial<StartServiceOptions>;
  /** Called with the running service once `start` is up; tests use it to reach it. */
  readonly onStarted?: (service: RunningService) => void;
}

export interface SignalSource {
  on(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
}

export const usage = `Usage: semtel <command> [options]

Semantic telemetry for AI applications: receives OTLP, classifies GenAI spans, re-exports everything.

Commands:
  start [--config FILE]   Run the service. Without --config it uses the default configuration:
                          OTLP on 127.0.0.1:4317 (gRPC) and 127.0.0.1:4318 (HTTP), exports to the
                          log and ./data/<signal>.jsonl, or to OTEL_EXPORTER_OTLP_ENDPOINT when set.
  validate FILE           Check a configuration file; prints every problem with its path.
  classify [--config FILE] [--output FILE] INPUT...
                          Classify the GenAI spans in OTLP/JSON files (one export request per line,
                          as the file exporter writes them) and write them enriched, as OTLP/JSON
                          lines, to --output or stdout. Uses the LLM from the config or OPENAI_*
                          environment, else the offline lexical classifier.

Options:
  -h, --help              Show this help.
  -v, --version           Show the version.
`;

/** Exit status for a command line that cannot be run as written. */
const usageExitCode = 2;

export function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return packageJson.version;
}

/** Runs the `semtel` command line; resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    io.stderr(`semtel: ${errorMessage(error)}\n\n${usage}`);
    return usageExitCode;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(usage);
    return 0;
  }
  if (values.version === true) {
    io.stdout(`semtel ${packageVersion()}\n`);
    return 0;
  }
  const [command, ...rest] = positionals;
  switch (command) {
    case 'start':
      if (rest.length > 0) return usageError(io, `start takes no arguments (got ${rest.join(' ')}); use --config FILE`);
      return runStart(values.config, io);
    case 'validate': {
      const file = rest[0] ?? values.config;
      if (file === undefined || rest.length > 1) return usageError(io, 'validate takes exactly one FILE');
      return runValidate(file, io);
    }
    case 'classify':
      if (rest.length === 0) return usageError(io, 'classify needs at least one INPUT file');
      return runClassify(
        {
          files: rest,
          ...(values.config === undefined ? {} : { configFile: values.config }),
          ...(values.output === undefined ? {} : { output: values.output }),
        },
        io,
      );
    case undefined:
      return usageError(io, 'no command given');
    default:
      return usageError(io, `unknown command "${command}"`);
  }
}

function usageError(io: CliIo, message: string): number {
  io.stderr(`semtel: ${message}\n\n${usage}`);
  return usageExitCode;
}

async function runValidate(file: string, io: CliIo): Promise<number> {
  const result = await loadConfig({ configFile: file, env: io.env }, builtinFactories(undefined, io.env));
  for (const warning of result.warnings) io.stderr(`warning: ${formatConfigIssue(warning)}\n`);
  if (result.issues.length > 0) {
    io.stderr(`${file}: ${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}\n`);
    for (const issue of result.issues) io.stderr(`  ${formatConfigIssue(issue)}\n`);
    return 1;
  }
  io.stdout('config is valid\n');
  return 0;
}

async function runStart(configFile: string | undefined, io: CliIo): Promise<number> {
  let service: RunningService;
  try {
    service = await startService({
      ...io.serviceOptions,
      env: io.env,
      ...(configFile === undefined ? {} : { configFile }),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`semtel: the configuration is invalid; nothing was started\n`);
      for (const issue of error.issues) io.stderr(`  ${formatConfigIssue(issue)}\n`);
    } else {
      io.stderr(`semtel: could not start: ${errorMessage(error)}\n`);
    }
    return 1;
  }
  io.onStarted?.(service);
  const logger: Logger = service.logger;
  const signals: SignalSource = io.signals ?? process;
  let signalCount = 0;
  let forced: ((code: number) => void) | undefined;
  const forcedExit = new Promise<number>((resolve) => {
    forced = resolve;
  });
  const onSignal = (name: string) => () => {
    signalCount++;
    if (signalCount === 1) {
      logger.info({ signal: name }, 'received signal; shutting down (send it again to exit at once)');
      void service.shutdown();
    } else {
      logger.warn({ signal: name }, 'received a second signal; exiting without finishing shutdown');
      forced?.(1);
    }
  };
  const onTerm = onSignal('SIGTERM');
  const onInt = onSignal('SIGINT');
  signals.on('SIGTERM', onTerm);
  signals.on('SIGINT', onInt);
  try {
    return await Promise.race([service.stopped.then(() => (service.fatalError === undefined ? 0 : 1)), forcedExit]);
  } finally {
    signals.off('SIGTERM', onTerm);
    signals.off('SIGINT', onInt);
  }
}
