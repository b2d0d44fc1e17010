// Real clients on a real port for the live tests: one subscription abstraction over
// three transports (plain fetch SSE, the graphql-sse client, the graphql-ws client),
// plus the GraphQL documents and database reads the live tests share.

import { setTimeout as sleep } from 'node:timers/promises';
import { createClient as createSseClient } from 'graphql-sse';
import { type Client as WsClient, createClient as createWsClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import type { TestServer } from '../helpers/server.ts';
import { openSse } from './sse-client.ts';

export type Transport = 'sse' | 'graphql-sse' | 'ws';

export type SubState = 'open' | 'completed' | 'errored' | 'closed';

export interface LiveSub {
  transport: Transport;
  /** `data[field]` of every `next` payload that carried data, in order. */
  readonly events: any[];
  /** Every `next` payload as received. */
  readonly payloads: any[];
  /** GraphQL errors carried in payloads, and errors handed to the sink. */
  readonly errors: any[];
  /** HTTP status (SSE transports, when known). */
  httpStatus?: number;
  /** Close code of the socket (WebSocket). */
  closeCode?: number;
  state(): SubState;
  /** Resolves with the final state once the subscription ends. */
  readonly ended: Promise<SubState>;
  /** Runs for each event as it arrives (before any waiter resumes). */
  onEvent(listener: (event: any) => void): void;
  /** Waits until at least `n` events arrived or the subscription ended; returns all events. */
  waitForEvents(n: number, timeoutMs?: number): Promise<any[]>;
  /** Waits until an event matches or the subscription ended; returns the match or undefined. */
  waitForEvent(match: (event: any) => boolean, timeoutMs?: number): Promise<any | undefined>;
  /** Waits for the end; returns the state then ('open' when it did not end in time). */
  waitForEnd(timeoutMs?: number): Promise<SubState>;
  /**
   * The client goes away: SSE aborts its request, graphql-sse disposes, a WebSocket
   * subscription with its own client closes the socket, one on a shared client unsubscribes.
   */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** API key; null sends none. Default: tenant A. */
  key?: string | null;
  /** Run the WebSocket subscription on this client (close() then only unsubscribes). */
  wsClient?: WsClient;
}

export const CHAT_EVENTS = /* GraphQL */ `
  subscription ChatEvents($chatId: ID!) {
    chatEvents(chatId: $chatId) { type chatId threadId messageId streamId at }
  }
`;

export const STREAM_EVENTS = /* GraphQL */ `
  subscription StreamEvents($id: ID!, $afterSeq: Int) {
    streamEvents(id: $id, afterSeq: $afterSeq) { streamId seq type data at }
  }
`;

/** A graphql-ws client on the server's port; lazy, no retries. Records its close code. */
export function wsClient(t: TestServer, key: string | null = t.keys.a, onClosed?: (code: number | undefined) => void): WsClient {
  return createWsClient({
    url: t.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: key === null ? {} : { 'x-api-key': key },
    retryAttempts: 0,
    lazy: true,
    on: {
      closed: (event) => onClosed?.((event as { code?: number } | undefined)?.code),
    },
  });
}

class Collector {
  readonly events: any[] = [];
  readonly payloads: any[] = [];
  readonly errors: any[] = [];
  private current: SubState = 'open';
  private readonly listeners: ((event: any) => void)[] = [];
  private readonly wakers = new Set<() => void>();
  private resolveEnded!: (s: SubState) => void;
  readonly ended = new Promise<SubState>((resolve) => {
    this.resolveEnded = resolve;
  });

  constructor(private readonly field: string) {}

  state(): SubState {
    return this.current;
  }

  next(payload: any): void {
    if (this.current !== 'open') return;
    this.payloads.push(payload);
    if (Array.isArray(payload?.errors)) this.errors.push(...payload.errors);
    const event = payload?.data?.[this.field];
    if (event != null) {
      this.events.push(event);
      for (const l of this.listeners) l(event);
    }
    this.wake();
  }

  error(error: unknown): void {
    if (this.current !== 'open') return;
    this.errors.push(error);
    this.end('errored');
  }

  end(state: Exclude<SubState, 'open'>): void {
    if (this.current !== 'open') return;
    this.current = state;
    this.resolveEnded(state);
    this.wake();
  }

  onEvent(listener: (event: any) => void): void {
    this.listeners.push(listener);
  }

  async waitUntil(done: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done() && this.current === 'open' && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, Math.min(25, Math.max(0, deadline - Date.now())));
        function finish() {
          clearTimeout(timer);
          resolve();
        }
        this.wakers.add(finish);
      });
      this.wakers.clear();
    }
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

/** Opens one subscription over `transport`; `field` is the subscription's root field. */
export async function openSub(
  t: TestServer,
  transport: Transport,
  query: string,
  variables: Record<string, unknown>,
  options: OpenOptions = {},
): Promise<LiveSub> {
  const field = /\b(chatEvents|streamEvents)\s*\(/.exec(query)?.[1] ?? 'unknown';
  const key = options.key === undefined ? t.keys.a : options.key;
  const c = new Collector(field);
  let closeImpl: () => Promise<void>;
  let httpStatus: number | undefined;
  let closeCode: number | undefined;

  if (transport === 'sse') {
    const conn = await openSse(`${t.url}/graphql`, { query, variables }, key === null ? {} : { 'x-api-key': key });
    httpStatus = conn.status;
    if (conn.body !== undefined) {
      // Not an event stream: an HTTP-level refusal.
      const body = conn.body as { errors?: unknown[] };
      if (Array.isArray(body?.errors)) c.errors.push(...body.errors);
      c.error(new Error(`HTTP ${conn.status}`));
    } else {
      let seen = 0;
      const pump = () => {
        for (; seen < conn.messages.length; seen++) {
          const m = conn.messages[seen]!;
          if (m.event === 'next') c.next(JSON.parse(m.data));
        }
      };
      conn.onUpdate(pump);
      void conn.done.then((how) => {
        pump();
        if (how === 'complete') c.end('completed');
        else if (how === 'aborted') c.end('closed');
        else c.error(new Error(`SSE stream ended without complete (${how})`));
      });
    }
    closeImpl = async () => {
      c.end('closed');
      conn.abort();
    };
  } else if (transport === 'graphql-sse') {
    const client = createSseClient({
      url: `${t.url}/graphql`,
      headers: key === null ? {} : { 'x-api-key': key },
      retryAttempts: 0,
    });
    const dispose = client.subscribe(
      { query, variables },
      {
        next: (p) => c.next(p),
        error: (e) => {
          const status = (e as { response?: { status?: number } })?.response?.status;
          if (status !== undefined) httpStatus = status;
          c.error(e);
        },
        complete: () => c.end('completed'),
      },
    );
    closeImpl = async () => {
      c.end('closed');
      dispose();
      client.dispose();
    };
  } else {
    const own = options.wsClient === undefined;
    const client =
      options.wsClient ??
      wsClient(t, key, (code) => {
        closeCode = code;
      });
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (p) => c.next(p),
        error: (e) => {
          const code = (e as { code?: number })?.code;
          if (typeof code === 'number') {
            // A CloseEvent: keep what matters, not the socket it drags along.
            closeCode = code;
            c.error({ closeCode: code, reason: String((e as { reason?: unknown }).reason ?? '') });
          } else c.error(e);
        },
        complete: () => c.end('completed'),
      },
    );
    closeImpl = async () => {
      c.end('closed');
      if (own) await client.dispose();
      else unsubscribe();
    };
  }

  const sub: LiveSub = {
    transport,
    events: c.events,
    payloads: c.payloads,
    errors: c.errors,
    get httpStatus() {
      return httpStatus;
    },
    get closeCode() {
      return closeCode;
    },
    state: () => c.state(),
    ended: c.ended,
    onEvent: (l) => c.onEvent(l),
    async waitForEvents(n, timeoutMs = 5000) {
      await c.waitUntil(() => c.events.length >= n, timeoutMs);
      return c.events;
    },
    async waitForEvent(match, timeoutMs = 5000) {
      await c.waitUntil(() => c.events.some(match), timeoutMs);
      return c.events.find(match);
    },
    async waitForEnd(timeoutMs = 5000) {
      await c.waitUntil(() => false, timeoutMs);
      return c.state();
    },
    close: () => closeImpl(),
  };
  return sub;
}

/** Keeps track of what a test opened so afterEach can close it all. */
export class Opened {
  private readonly subs: LiveSub[] = [];
  private readonly clients: WsClient[] = [];

  track<T extends LiveSub>(sub: T): T {
    this.subs.push(sub);
    return sub;
  }

  client(c: WsClient): WsClient {
    this.clients.push(c);
    return c;
  }

  async closeAll(): Promise<void> {
    const subs = this.subs.splice(0);
    const clients = this.clients.splice(0);
    await Promise.allSettled(subs.map((s) => s.close()));
    await Promise.allSettled(clients.map((c) => c.dispose()));
  }
}

/** Calls `read` until `done(value)` holds or `timeoutMs` passed; returns the last value read. */
export async function poll<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 1000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(everyMs);
    value = await read();
  }
  return value;
}

// ---------------------------------------------------------------------------------------
// GraphQL reads and writes (tenant A unless a key is given)

export async function activeConnections(t: TestServer, chatId: string, key?: string): Promise<number | null> {
  const r = await t.gql(`query($id: ID!) { chat(id: $id) { activeConnections } }`, { id: chatId }, { key });
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data?.chat?.activeConnections ?? null;
}

/** Polls Chat.activeConnections until it equals `n` (up to `timeoutMs`); returns the last value. */
export function connectionsReach(t: TestServer, chatId: string, n: number, timeoutMs = 1000): Promise<number | null> {
  return poll(() => activeConnections(t, chatId), (v) => v === n, timeoutMs);
}

export async function readChat(t: TestServer, chatId: string) {
  const r = await t.gql(`query($id: ID!) { chat(id: $id) { id title version messageCount activeConnections } }`, { id: chatId });
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data?.chat ?? null;
}

export async function deleteChat(t: TestServer, id: string, args: { force?: boolean; expectedVersion?: number } = {}) {
  const r = await t.gql(
    `mutation($id: ID!, $force: Boolean, $v: Int) {
      deleteChat(id: $id, force: $force, expectedVersion: $v) {
        __typename
        ... on DeleteChatSuccess { success message chatId closedConnections cancelledStreamCount deletedThreadCount deletedMessageCount }
        ... on ConflictError { reason activeConnections currentVersion message }
        ... on NotFoundError { resourceType id }
        ... on ValidationError { message }
      }
    }`,
    { id, force: args.force ?? null, v: args.expectedVersion ?? null },
  );
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data.deleteChat;
}

export async function deleteStream(t: TestServer, id: string) {
  const r = await t.gql(
    `mutation($id: ID!) {
      deleteStream(id: $id) {
        __typename
        ... on DeleteStreamSuccess { streamId cancelled previousStatus deletedEventCount }
        ... on NotFoundError { resourceType id }
        ... on ConflictError { reason }
      }
    }`,
    { id },
  );
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data.deleteStream;
}

export async function deleteThread(t: TestServer, id: string, args: { permanent?: boolean; expectedVersion?: number } = {}) {
  const r = await t.gql(
    `mutation($id: ID!, $permanent: Boolean, $v: Int) {
      deleteThread(id: $id, permanent: $permanent, expectedVersion: $v) {
        __typename
        ... on DeleteThreadSuccess { id deleted softDelete permanentDelete cancelledStreamCount deletedMessageCount }
        ... on ConflictError { reason currentVersion }
        ... on NotFoundError { resourceType id }
      }
    }`,
    { id, permanent: args.permanent ?? null, v: args.expectedVersion ?? null },
  );
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data.deleteThread;
}

export async function cancelStream(t: TestServer, id: string) {
  const r = await t.gql(
    `mutation($id: ID!) { cancelStream(id: $id) { __typename ... on CancelStreamSuccess { wasActive stream { status } } } }`,
    { id },
  );
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data.cancelStream;
}

export async function startStream(t: TestServer, threadId: string, prompt: string, key?: string) {
  const r = await t.gql(
    `mutation($input: StartStreamInput!) {
      startStream(input: $input) { __typename ... on StartStreamSuccess { stream { id status } prompt { id } } }
    }`,
    { input: { threadId, prompt } },
    { key },
  );
  const result = r.body.data?.startStream;
  if (result?.__typename !== 'StartStreamSuccess') throw new Error(`startStream failed: ${JSON.stringify(r.body)}`);
  return { streamId: result.stream.id as string, promptId: result.prompt.id as string };
}

export async function readStream(t: TestServer, id: string) {
  const r = await t.gql(`query($id: ID!) { stream(id: $id) { id status eventCount } }`, { id });
  if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
  return r.body.data?.stream ?? null;
}

export function waitForStreamStatus(t: TestServer, id: string, status: string, timeoutMs = 10_000) {
  return poll(
    () => readStream(t, id),
    (s) => s?.status === status,
    timeoutMs,
    20,
  );
}

/** `n` distinct words: "w1 w2 ... wn". */
export function words(n: number, prefix = 'w'): string {
  return Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`).join(' ');
}

// ---------------------------------------------------------------------------------------
// Straight from the database (what is stored, not what reads show)

export async function storedStream(t: TestServer, streamId: string) {
  const db = t.app.deps.store.db;
  const row = await db.selectFrom('streams').selectAll().where('id', '=', streamId).executeTakeFirst();
  const events = await db.selectFrom('stream_events').selectAll().where('stream_id', '=', streamId).orderBy('seq').execute();
  return { row, events };
}

export async function storedMessages(t: TestServer, threadId: string) {
  return t.app.deps.store.db.selectFrom('messages').selectAll().where('thread_id', '=', threadId).orderBy('created_at').execute();
}

// ---------------------------------------------------------------------------------------
// Assertions on a stream's event sequence

/** The seqs as a list; the caller compares it with 1..n. */
export function seqs(events: readonly { seq: number }[]): number[] {
  return events.map((e) => e.seq);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
