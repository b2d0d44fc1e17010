import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import type { App } from './app.ts';
import { attachWebSocket } from './http/websocket.ts';

/** Serves the app on a port; `stop` stops accepting, ends subscriptions, then closes the app. */
export async function listen(app: App, port: number, host: string): Promise<{ server: Server; url: string; stop(): Promise<void> }> {
  const server = createServer(app.gateway);
  const websocket = attachWebSocket(server, app.gateway, app.deps);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  return {
    server,
    url,
    async stop() {
      // Stop accepting first; open subscriptions then end with a complete before the sockets close.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      await setImmediate();
      await websocket.close();
      server.closeIdleConnections();
      // SSE responses end once their complete is written; a client that lingers is cut off.
      await Promise.race([closed, sleep(2000)]);
      server.closeAllConnections();
      await closed;
    },
  };
}
