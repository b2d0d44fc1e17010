import { listen } from '../../src/server.ts';
import { type TestApp, startTestApp } from './harness.ts';

export interface TestServer extends TestApp {
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT/graphql */
  wsUrl: string;
  /** Stops the server the way SIGTERM does (without removing the temporary folder). */
  stop(): Promise<void>;
}

/** The test app served on a real loopback port, for SSE, WebSocket and REST clients. */
export async function startTestServer(options: Parameters<typeof startTestApp>[0] = {}): Promise<TestServer> {
  const t = await startTestApp(options);
  const served = await listen(t.app, 0, '127.0.0.1');
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await served.stop();
  };
  return {
    ...t,
    url: served.url,
    wsUrl: `${served.url.replace('http', 'ws')}/graphql`,
    stop,
    async close() {
      await stop();
      await t.close();
    },
  };
}
