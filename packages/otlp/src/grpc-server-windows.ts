import type { Http2SecureServer, Http2Server, ServerHttp2Session } from 'node:http2';

/** HTTP/2's initial window (RFC 9113 §6.9.2), which Node advertises unless told otherwise. */
export const defaultHttp2WindowBytes = 65_535;

/** The largest HTTP/2 flow-control window (RFC 9113 §6.9.1). */
export const maxHttp2WindowBytes = 2 ** 31 - 1;

/** HTTP/2 receive windows for a gRPC server, in bytes. */
export interface GrpcServerWindows {
  /** SETTINGS_INITIAL_WINDOW_SIZE: what a client may send on one stream before the server reads it. */
  streamBytes: number;
  /** The connection window: what a client may send on all of a connection's streams together. */
  connectionBytes: number;
}

/**
 * The grpc-js option that names the window. grpc-js 1.14 reads it on the client only;
 * grpc/grpc-node#3058 makes servers honour it too, so passing it at construction keeps larger
 * stream windows after an upgrade even if {@link widenGrpcServerWindows} stops finding its hook.
 */
export function grpcServerWindowOptions(windows: GrpcServerWindows): { 'grpc-node.flow_control_window': number } {
  return { 'grpc-node.flow_control_window': windows.streamBytes };
}

type AnyHttp2Server = Http2Server | Http2SecureServer;

interface Http2ServerFactory {
  createHttp2Server: (...args: unknown[]) => unknown;
}

function hasHttp2ServerFactory(server: object): server is Http2ServerFactory {
  return typeof (server as Partial<Http2ServerFactory>).createHttp2Server === 'function';
}

function isHttp2Server(value: unknown): value is AnyHttp2Server {
  const candidate = value as Partial<AnyHttp2Server> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.updateSettings === 'function' &&
    typeof candidate.on === 'function'
  );
}

/** Whether {@link widenGrpcServerWindows} took effect; ask after the server is bound. */
export interface GrpcServerWindowsHook {
  /** HTTP/2 servers (one per bound address) that advertise the windows. */
  readonly widenedServers: number;
  /** Why the windows are not in force after binding, or undefined when they are. */
  readonly problem: string | undefined;
}

function checkWindows(windows: GrpcServerWindows): void {
  for (const [name, bytes] of Object.entries(windows)) {
    if (!Number.isInteger(bytes) || bytes < defaultHttp2WindowBytes || bytes > maxHttp2WindowBytes) {
      throw new RangeError(
        `${name} must be a whole number of bytes from ${defaultHttp2WindowBytes} to ${maxHttp2WindowBytes}`,
      );
    }
  }
}

/**
 * Gives a grpc-js `Server` larger HTTP/2 receive windows; call it before `bindAsync`.
 *
 * grpc-js 1.14 has no server option for this: its servers advertise Node's 64 KiB defaults, so
 * a client can have only 64 KiB in flight per connection and large exports crawl at one round
 * trip per 64 KiB. grpc-go servers (the collector, Jaeger) grow their windows up to 16 MiB.
 * The only way in is grpc-js's private `createHttp2Server` (as of 1.14.7), wrapped here
 * on this instance only; what is done to its result uses public node:http2 API. If a grpc-js
 * upgrade renames or drops the method, nothing is changed, the server keeps the defaults, and
 * {@link GrpcServerWindowsHook.problem} says why.
 */
export function widenGrpcServerWindows(server: object, windows: GrpcServerWindows): GrpcServerWindowsHook {
  checkWindows(windows);
  let widenedServers = 0;
  let unsupported: string | undefined;
  const hook: GrpcServerWindowsHook = {
    get widenedServers() {
      return widenedServers;
    },
    get problem() {
      if (unsupported !== undefined) return unsupported;
      return widenedServers === 0 ? 'grpc-js bound without calling Server.createHttp2Server' : undefined;
    },
  };
  if (!hasHttp2ServerFactory(server)) {
    unsupported = 'grpc-js Server has no createHttp2Server method';
    return hook;
  }
  const create = server.createHttp2Server;
  const widening = function (this: unknown, ...args: unknown[]): unknown {
    const http2Server = create.apply(this, args);
    if (!isHttp2Server(http2Server)) {
      unsupported ??= 'grpc-js createHttp2Server did not return a node:http2 server';
      return http2Server;
    }
    // Sessions created from here on advertise the stream window in their first SETTINGS frame.
    http2Server.updateSettings({ initialWindowSize: windows.streamBytes });
    // The connection window is not a setting: it only grows by a WINDOW_UPDATE on each session.
    http2Server.on('session', (session: ServerHttp2Session) => {
      if (session.destroyed) return;
      try {
        session.setLocalWindowSize(windows.connectionBytes);
      } catch {
        // Only a session torn down in between can refuse; it has no window left to widen.
      }
    });
    widenedServers += 1;
    return http2Server;
  };
  try {
    server.createHttp2Server = widening;
  } catch (error) {
    // A frozen or accessor-only method: leave grpc-js as it is rather than fail to start.
    unsupported = `cannot wrap grpc-js Server.createHttp2Server: ${error instanceof Error ? error.message : String(error)}`;
  }
  return hook;
}
