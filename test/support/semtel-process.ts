import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliPath = join(repositoryRoot, 'packages/service/dist/cli.js');

/**
 * Reserves `count` distinct free loopback ports by binding port 0, then releases them for
 * the child process. Another process could take one in between; the window is milliseconds.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface SemtelProcess {
  /** `http://127.0.0.1:port` of the OTLP/HTTP receiver. */
  httpEndpoint: string;
  /** `127.0.0.1:port` of the OTLP/gRPC receiver. */
  grpcEndpoint: string;
  /** The service's own metrics address, `127.0.0.1:port`. */
  metricsAddress: string;
  child: ChildProcess;
  /** Everything the process wrote so far (bounded), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with the exit code or signal. */
  stop(timeoutMs?: number): Promise<number | string | null>;
}

export interface SemtelProcessOptions {
  /** YAML fragments for `exporters:` and `service.pipelines`, given the picked ports. */
  exportersYaml: string;
  /** YAML fragment for `processors:`, when the pipelines name any. */
  processorsYaml?: string;
  pipelinesYaml: string;
  /** Extra lines under `receivers.otlp.protocols.http`. */
  httpReceiverExtraYaml?: string;
  startTimeoutMs?: number;
  /** Extra environment for the child (for example NODE_OPTIONS). */
  env?: Record<string, string>;
  /**
   * The largest file the child may write, in KiB (`ulimit -f`): writes past it fail as on a full
   * disk. Node ignores SIGXFSZ, so the write fails and the process goes on.
   */
  fileSizeLimitKiB?: number;
  /**
   * A command that runs semtel, such as `['unshare', '--pid', '--fork', '--kill-child=SIGTERM']`
   * for a pid namespace of its own, as in a container. `child` is then that command's process.
   */
  commandPrefix?: string[];
}

const outputLimit = 256 * 1024;

/**
 * Starts `semtel start --config <file>` as a real child process on freshly picked loopback
 * ports and resolves once both receivers accept connections.
 */
export async function startSemtelProcess(options: SemtelProcessOptions): Promise<SemtelProcess> {
  if (!existsSync(cliPath)) {
    throw new Error(`${cliPath} is missing: build the workspace first (npx tsc -b) before running end-to-end tests`);
  }
  const [httpPort, grpcPort, metricsPort] = (await freePorts(3)) as [number, number, number];
  const directory = mkdtempSync(join(tmpdir(), 'semtel-e2e-'));
  const configPath = join(directory, 'semtel.yaml');
  const httpExtra = options.httpReceiverExtraYaml ? indent(options.httpReceiverExtraYaml, 8) : '';
  writeFileSync(
    configPath,
    [
      'receivers:',
      '  otlp:',
      '    protocols:',
      '      grpc:',
      `        endpoint: 127.0.0.1:${grpcPort}`,
      '      http:',
      `        endpoint: 127.0.0.1:${httpPort}`,
      httpExtra,
      options.processorsYaml ? `processors:\n${indent(options.processorsYaml, 2)}` : '',
      'exporters:',
      indent(options.exportersYaml, 2),
      'service:',
      '  pipelines:',
      indent(options.pipelinesYaml, 4),
      '  telemetry:',
      `    metrics: { address: 127.0.0.1:${metricsPort} }`,
      '    logs: { level: warn }',
      '',
    ]
      .filter((line) => line !== '')
      .join('\n'),
  );

  const command = [...(options.commandPrefix ?? []), process.execPath, cliPath, 'start', '--config', configPath];
  const [program, ...programArguments] =
    options.fileSizeLimitKiB === undefined
      ? command
      : ['/bin/sh', '-c', `ulimit -f ${Math.floor(options.fileSizeLimitKiB)} && exec "$0" "$@"`, ...command];
  const child = spawn(program as string, programArguments, {
    cwd: directory,
    env: { ...process.env, OPENAI_API_KEY: '', OPENAI_BASE_URL: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    if (output.length > outputLimit) output = output.slice(-outputLimit);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited: number | string | null | undefined;
  const exitPromise = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = code ?? signal;
      resolve(exited);
    });
  });

  const stop = async (timeoutMs = 10_000): Promise<number | string | null> => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exitPromise;
      clearTimeout(timer);
    }
    rmSync(directory, { recursive: true, force: true });
    return exited ?? null;
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`semtel exited during start-up (${String(exited)}):\n${output}`);
    }
    if ((await canConnect(httpPort)) && (await canConnect(grpcPort))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`semtel did not listen on ${httpPort}/${grpcPort} in time:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    httpEndpoint: `http://127.0.0.1:${httpPort}`,
    grpcEndpoint: `127.0.0.1:${grpcPort}`,
    metricsAddress: `127.0.0.1:${metricsPort}`,
    child,
    output: () => output,
    stop,
  };
}

/** Re-indents a YAML fragment written at any indentation (template literals in tests). */
function indent(text: string, spaces: number): string {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  const common = Math.min(...lines.map((line) => line.length - line.trimStart().length));
  const prefix = ' '.repeat(spaces);
  return lines.map((line) => `${prefix}${line.slice(common)}`).join('\n');
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Anonymous resident memory of a process in MiB (Linux `RssAnon`), or undefined once it is gone:
 * what memory_limiter limits. RSS also counts file pages, such as a durable queue's mapped store.
 */
export function residentAnonymousMib(pid: number): number | undefined {
  return statusField(pid, 'RssAnon');
}

/** The most RSS a process has had since it started, in MiB (Linux `VmHWM`): exact, not sampled. */
export function peakResidentSetMib(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}
