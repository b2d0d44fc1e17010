import type { TestApp } from '../helpers/harness.ts';

/**
 * A GraphQL subscription over Server-Sent Events, through the same HTTP entry point as
 * every other request (yoga's `fetch`). Collects each `next` payload and notes `complete`.
 */
export interface SseSubscription {
  status: number;
  /** The `data` of every `next` event so far, in order. */
  readonly payloads: any[];
  /** Resolves when the server sends `complete` or ends the response. */
  readonly ended: Promise<void>;
  isEnded(): boolean;
  /** Waits until `count` payloads have arrived (or the subscription ended). */
  waitForPayloads(count: number, timeoutMs?: number): Promise<any[]>;
  close(): void;
}

export async function subscribe(
  t: TestApp,
  query: string,
  variables: Record<string, unknown>,
  key: string = t.keys.a,
): Promise<SseSubscription> {
  const controller = new AbortController();
  const response = await t.app.gateway.fetch('http://gateway.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': key },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const payloads: any[] = [];
  let ended = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };

  const reader = response.body?.getReader();
  const done = (async () => {
    if (!reader) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        buffer += decoder.decode(value, { stream: true });
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = block
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (event === 'next') payloads.push(JSON.parse(data));
          if (event === 'complete') return;
          wake();
        }
      }
    } catch {
      // aborted by close()
    } finally {
      ended = true;
      wake();
      reader.cancel().catch(() => {});
    }
  })();

  return {
    status: response.status,
    payloads,
    ended: done,
    isEnded: () => ended,
    async waitForPayloads(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (payloads.length < count && !ended) {
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(remaining, 50));
          waiters.add(() => {
            clearTimeout(timer);
            resolve();
          });
        });
        waiters.clear();
      }
      return payloads;
    },
    // As a client that goes away: abort the request and drop the response stream.
    close: () => {
      controller.abort();
      reader?.cancel().catch(() => {});
    },
  };
}

export const STREAM_EVENTS_SUB = /* GraphQL */ `
  subscription StreamEvents($id: ID!, $afterSeq: Int) {
    streamEvents(id: $id, afterSeq: $afterSeq) { streamId seq type data }
  }
`;

export const CHAT_EVENTS_SUB = /* GraphQL */ `
  subscription ChatEvents($chatId: ID!) {
    chatEvents(chatId: $chatId) { type chatId threadId streamId }
  }
`;

/** Waits until `ended` resolves, or fails after `timeoutMs`. */
export async function endsWithin(sub: SseSubscription, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const result = await Promise.race([sub.ended.then(() => true), timeout]);
  clearTimeout(timer);
  return result;
}
