import { connect, createServer } from 'node:http2';
import type { ClientHttp2Session, Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { grpcServerWindowOptions, widenGrpcServerWindows } from './grpc-server-windows.js';

const windows = { streamBytes: 1024 * 1024, connectionBytes: 16 * 1024 * 1024 };

/** Stands for a grpc-js Server: the hook only needs the method grpc-js creates its HTTP/2 servers with. */
class FakeGrpcServer {
  readonly created: Http2Server[] = [];

  createHttp2Server(): Http2Server {
    const server = createServer();
    this.created.push(server);
    return server;
  }
}

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function listen(server: Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** Connects and waits until the server's SETTINGS and its WINDOW_UPDATE have both arrived. */
async function connectSettled(port: number): Promise<ClientHttp2Session> {
  const session = connect(`http://127.0.0.1:${port}`);
  closers.push(() => new Promise((resolve) => session.close(() => resolve())));
  await new Promise((resolve) => session.once('remoteSettings', resolve));
  // The server wrote its WINDOW_UPDATE before it could answer this PING.
  await new Promise<void>((resolve, reject) => session.ping((error) => (error ? reject(error) : resolve())));
  return session;
}

describe('widenGrpcServerWindows', () => {
  it('makes the HTTP/2 servers it creates advertise the stream window and open the connection window', async () => {
    const fake = new FakeGrpcServer();
    const hook = widenGrpcServerWindows(fake, windows);
    expect(hook.problem).toBe('grpc-js bound without calling Server.createHttp2Server');

    const port = await listen(fake.createHttp2Server());
    expect(hook.widenedServers).toBe(1);
    expect(hook.problem).toBeUndefined();

    const session = await connectSettled(port);
    expect(session.remoteSettings.initialWindowSize).toBe(windows.streamBytes);
    expect(session.state.remoteWindowSize).toBe(windows.connectionBytes);
  });

  it('changes nothing and says why when grpc-js has no createHttp2Server', () => {
    const hook = widenGrpcServerWindows({}, windows);
    expect(hook.widenedServers).toBe(0);
    expect(hook.problem).toBe('grpc-js Server has no createHttp2Server method');
  });

  it('changes nothing and says why when the method cannot be replaced', () => {
    const server = Object.freeze(new FakeGrpcServer());
    const hook = widenGrpcServerWindows(server, windows);
    expect(hook.problem).toMatch(/^cannot wrap grpc-js Server.createHttp2Server: /);
    expect(server.createHttp2Server).toBe(FakeGrpcServer.prototype.createHttp2Server);
  });

  it('leaves a result that is not an HTTP/2 server alone and says why', () => {
    const server = { createHttp2Server: () => ({ listen: () => undefined }) };
    const hook = widenGrpcServerWindows(server, windows);
    expect(server.createHttp2Server()).toEqual({ listen: expect.any(Function) });
    expect(hook.problem).toBe('grpc-js createHttp2Server did not return a node:http2 server');
  });

  it('refuses windows HTTP/2 cannot advertise', () => {
    expect(() => widenGrpcServerWindows({}, { streamBytes: 2 ** 31, connectionBytes: 65_535 })).toThrow(RangeError);
    expect(() => widenGrpcServerWindows({}, { streamBytes: 65_535, connectionBytes: 1000 })).toThrow(
      /connectionBytes must be a whole number of bytes from 65535/,
    );
  });

  it('names the stream window in the grpc-js option that servers honour once grpc/grpc-node#3058 lands', () => {
    expect(grpcServerWindowOptions(windows)).toEqual({ 'grpc-node.flow_control_window': 1024 * 1024 });
  });
});
