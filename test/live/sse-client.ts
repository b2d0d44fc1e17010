// A minimal GraphQL-over-SSE client on plain fetch: POST the operation with
// `Accept: text/event-stream`, read `event: next` / `event: complete` blocks from the
// response body, and drop the connection with an AbortController.

export interface SseMessage {
  event: string;
  data: string;
}

export interface SseConnection {
  /** HTTP status of the response. */
  status: number;
  contentType: string | null;
  /** The whole body when the server did not answer with an event stream. */
  body?: unknown;
  /** Every `event:` block so far, in order. */
  readonly messages: SseMessage[];
  /** Resolves when the server sent `complete`, ended the response, or the client aborted. */
  readonly done: Promise<'complete' | 'eof' | 'aborted' | 'error'>;
  /** Called after each block is parsed (and once more when the stream ends). */
  onUpdate(listener: () => void): void;
  /** Drops the connection (the client goes away without a word). */
  abort(): void;
}

export async function openSse(
  url: string,
  operation: { query: string; variables?: Record<string, unknown> },
  headers: Record<string, string>,
): Promise<SseConnection> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: 'POST',
    signal: controller.signal,
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify(operation),
  });
  const messages: SseMessage[] = [];
  const listeners: (() => void)[] = [];
  const notify = () => {
    for (const l of listeners) l();
  };
  const contentType = response.headers.get('content-type');
  // Some refusals (yoga's 401) still come as an event stream carrying the error; read those too.
  const isStream = response.body !== null && (contentType ?? '').includes('text/event-stream');

  if (!isStream) {
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return {
      status: response.status,
      contentType,
      body,
      messages,
      done: Promise.resolve('eof'),
      onUpdate: (l) => listeners.push(l),
      abort: () => controller.abort(),
    };
  }

  const done = (async (): Promise<'complete' | 'eof' | 'aborted' | 'error'> => {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) return 'eof';
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue; // comment / keep-alive
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length === 0 && event === 'message') continue;
          messages.push({ event, data: data.join('\n') });
          notify();
          if (event === 'complete') {
            await reader.cancel().catch(() => {});
            return 'complete';
          }
        }
      }
    } catch {
      return controller.signal.aborted ? 'aborted' : 'error';
    }
  })().finally(notify);

  return {
    status: response.status,
    contentType,
    messages,
    done,
    onUpdate: (l) => listeners.push(l),
    abort: () => controller.abort(),
  };
}
