// What the benchmarks share: semtel as a child process (started from a config file, measured through
// Linux /proc, stopped), free loopback ports, and an OTLP/HTTP protobuf sender.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const cliPath = fileURLToPath(new URL('../../packages/service/dist/cli.js', import.meta.url));

/** `count` loopback ports free when asked (the OS picks them). */
export async function freePorts(count) {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolve) => {
          const server = createServer();
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => server.address().port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Writes `config` (YAML, or JSON, which is YAML too) into a fresh directory and runs `semtel start`
 * there; resolves once every port in `readyPorts` accepts connections (within 20 s).
 */
export async function startSemtelChild({ config, readyPorts, nodeFlags = [], env = {}, stopTimeoutMs = 10_000 }) {
  const directory = mkdtempSync(join(tmpdir(), 'semtel-bench-'));
  const configPath = join(directory, 'semtel.yaml');
  writeFileSync(configPath, typeof config === 'function' ? config(directory) : config);
  const child = spawn(process.execPath, [...nodeFlags, cliPath, 'start', '--config', configPath], {
    cwd: directory,
    // No LLM from the environment: each bench configures the classifier it measures.
    env: { ...process.env, OPENAI_API_KEY: '', OPENAI_BASE_URL: '', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 20_000;
  for (const port of readyPorts) {
    while (!(await canConnect(port))) {
      if (exited || Date.now() > deadline) throw new Error('semtel did not start');
      await sleep(50);
    }
  }
  return {
    pid: child.pid,
    /** User + system CPU seconds the process has used so far (Linux /proc), or undefined. */
    cpuSeconds() {
      try {
        const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
        // utime and stime are fields 14 and 15 of stat; clock ticks are 100 per second on Linux.
        return (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        return undefined;
      }
    },
    /** Peak resident set size so far (Linux VmHWM), in bytes, or undefined. */
    peakRss() {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return match ? Number(match[1]) * 1024 : undefined;
      } catch {
        return undefined;
      }
    },
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
        await new Promise((resolve) => (exited ? resolve() : child.once('exit', resolve)));
        clearTimeout(timer);
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** POSTs one OTLP/HTTP protobuf body on a kept-alive connection; resolves with the status code. */
export function postProtobuf(url, body, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length },
        timeout: timeoutMs,
      },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.once('timeout', () => request.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    request.once('error', reject);
    request.end(body);
  });
}

/** Closes the sender's kept-alive connections, so the bench process can exit. */
export function closeSenders() {
  agent.destroy();
}
