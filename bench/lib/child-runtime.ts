import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * The measuring side of a server child: event-loop delay (monitorEventLoopDelay, 1 ms
 * resolution, reset on request), memory, and an RPC loop over the IPC channel.
 */
export function serveRpc(handlers: Record<string, (message: any) => unknown | Promise<unknown>>, stop: () => Promise<void>) {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const ms = (ns: number) => ns / 1e6;
  let session: Session | undefined;
  const builtIn: Record<string, (message: any) => unknown | Promise<unknown>> = {
    // The V8 CPU profiler (what --cpu-prof runs), over a chosen window only, so start-up
    // module loading does not drown the load in the profile.
    'profile:start': async (m: { intervalUs?: number }) => {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: m.intervalUs ?? 500 });
      await session.post('Profiler.start');
      return true;
    },
    'profile:stop': async (m: { file: string }) => {
      if (!session) return false;
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(m.file, JSON.stringify(profile));
      session.disconnect();
      session = undefined;
      return true;
    },
    // The histogram records the gap between two of its ticks, and the first tick after a
    // reset records nothing: answer once ticks are flowing again, so a stall right after
    // the reset is not missed.
    'loop:reset': async () => {
      loop.reset();
      await new Promise((resolve) => setTimeout(resolve, 10));
      return true;
    },
    'loop:stats': () => ({ maxMs: ms(loop.max), p99Ms: ms(loop.percentile(99)), meanMs: ms(loop.mean) }),
    memory: () => {
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed };
    },
    // With --expose-gc: what stays after a full collection (retained vs not yet collected).
    'memory:after-gc': () => {
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      return { rss: m.rss, heapUsed: m.heapUsed };
    },
  };
  process.on('message', async (message: any) => {
    if (message?.type === 'stop') {
      loop.disable();
      try {
        await stop();
      } finally {
        process.exit(0);
      }
    }
    const handler = handlers[message?.type] ?? builtIn[message?.type];
    const result = handler ? await handler(message) : { error: `unknown rpc ${message?.type}` };
    process.send?.({ rpcId: message.rpcId, result });
  });
  // The parent went away: do not linger.
  process.on('disconnect', () => process.exit(0));
}

/**
 * A baseline's node:http server on a loopback port: serves the RPC, closes the server then
 * `close` on stop, and tells the parent its URL.
 */
export async function serveBaseline(server: Server, close: () => void): Promise<void> {
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  serveRpc({}, async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    close();
  });
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}
