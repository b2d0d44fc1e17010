import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { TestServer } from '../helpers/server.ts';

// Plain-fetch helpers for the REST compatibility routes (docs/rest.md).
// Every request goes over a real loopback port, as a seed API's own client would send it.

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface RestResponse {
  status: number;
  headers: Headers;
  contentType: string | null;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  body: any;
}

export interface RestOptions {
  /** Sent as X-API-Key. */
  key?: string;
  /** Sent as Authorization: Bearer. */
  bearer?: string;
  headers?: Record<string, string>;
  /** JSON-encoded with content-type application/json. */
  json?: unknown;
}

export async function rest(t: TestServer, method: string, path: string, options: RestOptions = {}): Promise<RestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers['X-API-Key'] = options.key;
  if (options.bearer !== undefined) headers.Authorization = `Bearer ${options.bearer}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await fetch(`${t.url}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: any;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, contentType: response.headers.get('content-type'), text, body: parsed };
}

/** Status, a JSON content type and the exact body. */
export function expectJson(r: RestResponse, status: number, body: unknown): void {
  expect({ status: r.status, body: r.body }).toEqual({ status, body });
  expect(r.contentType ?? '').toMatch(/^application\/json\b/);
}

/** Polls `read` until `done` holds; fails with the last value after `timeoutMs`. */
export async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await sleep(10);
  }
}

/** GraphQL over HTTP on the real port; throws on GraphQL errors. */
export async function gqlData(t: TestServer, query: string, variables: Record<string, unknown> = {}, key = t.keys.a, headers: Record<string, string> = {}) {
  const { body } = await t.gql(query, variables, { key, headers });
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

export async function streamStatus(t: TestServer, id: string): Promise<string | null> {
  const data = await gqlData(t, `query($id: ID!) { stream(id: $id) { status } }`, { id });
  return data.stream?.status ?? null;
}

export const waitForStreamStatus = (t: TestServer, id: string, status: string, timeoutMs = 10_000) =>
  waitFor(() => streamStatus(t, id), (s) => s === status, `stream ${id} to be ${status}`, timeoutMs);

/** `n` distinct words: "w1 w2 ... wn" (the built-in generator echoes one per token). */
export const words = (n: number, prefix = 'w') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`).join(' ');

// ------------------------------------------------------------------ server-sent events

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export interface SseReader {
  status: number;
  contentType: string | null;
  /** The whole body when the answer was not an event stream. */
  body?: any;
  readonly events: SseEvent[];
  /** Resolves when the server ends the response (or the client aborted). */
  readonly ended: Promise<'eof' | 'aborted'>;
  isEnded(): boolean;
  waitForEvents(n: number, timeoutMs?: number): Promise<SseEvent[]>;
  abort(): void;
}

/** Opens any text/event-stream response with fetch and parses its `id:`/`event:`/`data:` blocks. */
export async function openEventStream(url: string, init: RequestInit): Promise<SseReader> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const contentType = response.headers.get('content-type');
  const events: SseEvent[] = [];
  if (!(contentType ?? '').startsWith('text/event-stream')) {
    const text = await response.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return {
      status: response.status,
      contentType,
      body,
      events,
      ended: Promise.resolve('eof'),
      isEnded: () => true,
      waitForEvents: async () => events,
      abort: () => controller.abort(),
    };
  }
  let finished = false;
  const ended = (async (): Promise<'eof' | 'aborted'> => {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'eof';
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, '\n');
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const event: SseEvent = { data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':') || line === '') continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') event.id = value;
            else if (field === 'event') event.event = value;
            else if (field === 'data') data.push(value);
          }
          if (data.length === 0 && event.event === undefined && event.id === undefined) continue;
          event.data = data.join('\n');
          events.push(event);
        }
      }
    } catch {
      return 'aborted';
    } finally {
      finished = true;
    }
  })();
  return {
    status: response.status,
    contentType,
    events,
    ended,
    isEnded: () => finished,
    async waitForEvents(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < n && !finished && Date.now() < deadline) await sleep(5);
      return events;
    },
    abort: () => controller.abort(),
  };
}

/** GET /v1/messages/async/{id}/events (seed 000). */
export function streamEvents(t: TestServer, id: string, options: { key?: string; lastEventId?: string; query?: string } = {}) {
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (options.key !== undefined) headers['X-API-Key'] = options.key;
  if (options.lastEventId !== undefined) headers['Last-Event-ID'] = options.lastEventId;
  return openEventStream(`${t.url}/v1/messages/async/${id}/events${options.query ?? ''}`, { method: 'GET', headers });
}

/** A live connection on a chat: a chatEvents subscription over GraphQL SSE. */
export function chatEventsSubscription(t: TestServer, chatId: string, key = t.keys.a) {
  return openEventStream(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': key },
    body: JSON.stringify({
      query: 'subscription($c: ID!){ chatEvents(chatId:$c){ type } }',
      variables: { c: chatId },
    }),
  });
}

/** The `next` payloads' chatEvents types of a GraphQL SSE subscription. */
export const chatEventTypes = (sub: SseReader): string[] =>
  sub.events.filter((e) => e.event === 'next').map((e) => JSON.parse(e.data)?.data?.chatEvents?.type as string);

export async function activeConnections(t: TestServer, chatId: string): Promise<number | null> {
  const data = await gqlData(t, `query($id: ID!) { chat(id: $id) { activeConnections } }`, { id: chatId });
  return data.chat?.activeConnections ?? null;
}

// ------------------------------------------------------------------ stored rows

export const TABLES = ['flows', 'chats', 'threads', 'messages', 'streams', 'stream_events', 'audit_log'] as const;
export type Table = (typeof TABLES)[number];

export async function rowCounts(t: TestServer): Promise<Record<Table, number>> {
  const db = t.app.deps.store.db;
  const counts = {} as Record<Table, number>;
  for (const table of TABLES) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

/** What each write recorded; the hash chain's columns are the sealer's, after commit (test/audit). */
export async function auditRows(t: TestServer) {
  return t.app.deps.store.db
    .selectFrom('audit_log')
    .select(['seq', 'id', 'tenant_id', 'action', 'target_type', 'target_id', 'actor', 'request_id', 'details', 'at'])
    .orderBy('seq')
    .execute();
}

export async function lastAudit(t: TestServer) {
  const rows = await auditRows(t);
  return rows[rows.length - 1];
}

/**
 * Makes every write to `table` fail inside the database: a real server fault, no mock.
 * The same fault on both engines, as test/graphql/atomicity.test.ts injects it: a SQLite
 * trigger that RAISE(ABORT)s, or on PostgreSQL a plpgsql function that raises an exception,
 * fired BEFORE each row. Returns what undoes it (drops the trigger, and the function).
 */
export async function breakWrites(t: TestServer, table: Table, on: 'DELETE' | 'UPDATE' | 'INSERT'): Promise<() => Promise<void>> {
  const { sql } = await import('kysely');
  const db = t.app.deps.store.db;
  const name = `injected_fault_${table}_${on.toLowerCase()}`;
  if (t.engine === 'postgres') {
    await sql.raw(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$`).execute(db);
    await sql.raw(`CREATE TRIGGER ${name} BEFORE ${on} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`).execute(db);
    return async () => {
      await sql.raw(`DROP TRIGGER ${name} ON ${table}`).execute(db);
      await sql.raw(`DROP FUNCTION ${name}()`).execute(db);
    };
  }
  await sql.raw(`CREATE TRIGGER ${name} BEFORE ${on} ON ${table} BEGIN SELECT RAISE(ABORT, 'injected fault'); END`).execute(db);
  return async () => {
    await sql.raw(`DROP TRIGGER ${name}`).execute(db);
  };
}
