import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the upstream received, and whether its client closed it before the answer ended. */
export interface UpstreamRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** The client closed the connection before the upstream finished answering. */
  closedEarly: boolean;
  /** Resolves once the request's answer ended or its connection closed. */
  ended: Promise<void>;
}

/**
 * How the upstream answers: `tokens` as chat.completion.chunk events `everyMs` apart (then
 * `[DONE]`, unless `hang` keeps the stream open and silent after them), an HTTP error, or
 * `silent`: headers never sent.
 */
export type Behaviour =
  | { kind: 'tokens'; tokens: string[]; everyMs?: number; hang?: boolean }
  | { kind: 'error'; status: number; message: string }
  | { kind: 'silent' };

export interface OpenAiUpstream {
  /** What to give a client as its base URL: http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  requests: UpstreamRequest[];
  behave(next: Behaviour): void;
  close(): Promise<void>;
}

/**
 * A small OpenAI-compatible `POST /v1/chat/completions` server on loopback that records
 * every request and whether its connection was closed early (an aborted generation).
 */
export async function startOpenAiUpstream(initial: Behaviour = { kind: 'tokens', tokens: ['Hello', ' world'] }): Promise<OpenAiUpstream> {
  let behaviour = initial;
  const requests: UpstreamRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let resolveEnded!: () => void;
      const record: UpstreamRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: safeJson(Buffer.concat(chunks).toString('utf8')),
        closedEarly: false,
        ended: new Promise((r) => (resolveEnded = r)),
      };
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished) record.closedEarly = true;
        resolveEnded();
      });
      void answer(behaviour, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    behave(next) {
      behaviour = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function answer(behaviour: Behaviour, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'no such route', type: 'invalid_request_error' } }));
    return;
  }
  if (behaviour.kind === 'silent') return;
  if (behaviour.kind === 'error') {
    res.writeHead(behaviour.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: behaviour.message, type: 'server_error', param: null, code: null } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [i, token] of behaviour.tokens.entries()) {
    if (res.destroyed) return;
    if (i > 0 && behaviour.everyMs) await new Promise((r) => setTimeout(r, behaviour.everyMs));
    res.write(`data: ${JSON.stringify(chunk({ content: token }, null))}\n\n`);
  }
  if (behaviour.hang) return;
  res.write(`data: ${JSON.stringify(chunk({}, 'stop'))}\n\n`);
  res.end('data: [DONE]\n\n');
}

function chunk(delta: Record<string, unknown>, finish: string | null) {
  return { id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 0, model: 'test-model', choices: [{ index: 0, delta, finish_reason: finish }] };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
