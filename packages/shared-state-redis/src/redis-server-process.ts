import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A throwaway `redis-server` on 127.0.0.1, for tests: no persistence, stopped with `stop()`. */
export interface RedisServerProcess {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s). Safe twice. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`), as after an outage. */
  restart(): Promise<void>;
}

const readyTimeoutMs = 10_000;

/** Set to `1` or `true` where Redis must be tested (CI): a missing `redis-server` then fails the tests. */
export const requireRedisVariable = 'SEMTEL_REQUIRE_REDIS';

function redisBinary(): string {
  return process.env.REDIS_SERVER_BIN ?? 'redis-server';
}

function missingRedisMessage(binary: string): string {
  return `${binary} is not installed (or not on PATH): the shared-state tests need a real Redis. Install it with \`apt-get install -y redis-server\` (.ci/run does) or set REDIS_SERVER_BIN.`;
}

/**
 * Why the Redis tests cannot run here, or undefined when they can or must. A fresh machine with only
 * Node and npm has no `redis-server`: its tests are skipped with this reason rather than failing the
 * whole suite. Where `SEMTEL_REQUIRE_REDIS` is set they are never skipped, so CI cannot pass without them.
 */
export function redisTestSkipReason(environment: NodeJS.ProcessEnv = process.env): string | undefined {
  if (/^(1|true|yes)$/i.test(environment[requireRedisVariable] ?? '')) return undefined;
  const binary = environment.REDIS_SERVER_BIN ?? 'redis-server';
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (!probe.error && probe.status === 0) return undefined;
  return `skipped: ${binary} not found (install redis-server, or set ${requireRedisVariable}=1 to make its absence fail)`;
}

/**
 * Starts `redis-server` on a free loopback port. Throws a message that says how to install it when
 * the binary is missing: a test that got this far must fail then, not pass without having run.
 */
export async function startRedisServer(): Promise<RedisServerProcess> {
  const binary = redisBinary();
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error || probe.status !== 0) throw new Error(missingRedisMessage(binary));
  let lastError: unknown;
  // The port is free when probed but may be taken before redis binds it: try a few.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    try {
      let child = await launch(binary, port);
      const server: RedisServerProcess = {
        port,
        url: `redis://127.0.0.1:${port}`,
        stop: async () => {
          await terminate(child);
        },
        restart: async () => {
          await terminate(child);
          // Clients reconnect to the same URL, so the port cannot change; a socket still closing
          // can hold it for a moment, hence a few tries.
          let restartError: unknown;
          for (let retry = 0; retry < 5; retry += 1) {
            try {
              child = await launch(binary, port);
              return;
            } catch (error) {
              restartError = error;
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
          }
          throw restartError;
        },
      };
      return server;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function launch(binary: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} not ready within ${readyTimeoutMs} ms:\n${output}`));
    }, readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${port} exited with ${code}:\n${output}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
