import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { TestApp } from '../helpers/harness.ts';

// GraphQL documents and small helpers shared by the integration tests in this folder.
// Everything goes through HTTP (t.gql); only a few checks read the database directly,
// where the design speaks about what is stored rather than what is served.

export const ERROR_FIELDS = /* GraphQL */ `
  fragment ErrorFields on Error {
    __typename
    message
    ... on NotFoundError { resourceType id }
    ... on ConflictError { reason activeConnections currentVersion }
    ... on ValidationError { fieldErrors { path message } }
  }
`;

export const AUDIT_FIELDS = /* GraphQL */ `
  fragment AuditFields on AuditEntry { id action targetType targetId actor requestId details at }
`;

export const DELETE_CHAT = /* GraphQL */ `
  mutation DeleteChat($id: ID!, $expectedVersion: Int, $force: Boolean) {
    deleteChat(id: $id, expectedVersion: $expectedVersion, force: $force) {
      __typename
      ... on DeleteChatSuccess {
        chatId success message deletedAt deletedThreadCount deletedMessageCount cancelledStreamCount closedConnections
        auditEntry { ...AuditFields }
      }
      ...ErrorFields
    }
  }
  ${ERROR_FIELDS}
  ${AUDIT_FIELDS}
`;

export const DELETE_THREAD = /* GraphQL */ `
  mutation DeleteThread($id: ID!, $permanent: Boolean, $expectedVersion: Int) {
    deleteThread(id: $id, permanent: $permanent, expectedVersion: $expectedVersion) {
      __typename
      ... on DeleteThreadSuccess {
        id threadId deleted object status message threadTitle chatId flowId deletedMessageCount cancelledStreamCount
        deletedAt deletedBy softDelete permanentDelete canRestore restoreUntil requestId operationDurationMs
        auditEntry { ...AuditFields }
      }
      ...ErrorFields
    }
  }
  ${ERROR_FIELDS}
  ${AUDIT_FIELDS}
`;

export const DELETE_STREAM = /* GraphQL */ `
  mutation DeleteStream($id: ID!, $expectedVersion: Int) {
    deleteStream(id: $id, expectedVersion: $expectedVersion) {
      __typename
      ... on DeleteStreamSuccess { streamId previousStatus cancelled deletedEventCount deletedAt auditEntry { ...AuditFields } }
      ...ErrorFields
    }
  }
  ${ERROR_FIELDS}
  ${AUDIT_FIELDS}
`;

export const DELETE_MESSAGES = /* GraphQL */ `
  mutation DeleteMessages($flowId: ID!, $filter: MessageFilter, $hardDelete: Boolean) {
    deleteMessages(flowId: $flowId, filter: $filter, hardDelete: $hardDelete) {
      __typename
      ... on DeleteMessagesSuccess { affected hardDelete erasedEventCount auditEntry { ...AuditFields } }
      ...ErrorFields
    }
  }
  ${ERROR_FIELDS}
  ${AUDIT_FIELDS}
`;

export const RESTORE_THREAD = /* GraphQL */ `
  mutation RestoreThread($id: ID!) {
    restoreThread(id: $id) {
      __typename
      ... on RestoreThreadSuccess { thread { id title version messageCount deletedAt restoreUntil } }
      ...ErrorFields
    }
  }
  ${ERROR_FIELDS}
`;

export const START_STREAM = /* GraphQL */ `
  mutation StartStream($input: StartStreamInput!) {
    startStream(input: $input) {
      __typename
      ... on StartStreamSuccess { stream { id status version } prompt { id content role } }
      ...ErrorFields
    }
  }
  ${ERROR_FIELDS}
`;

export const CANCEL_STREAM = /* GraphQL */ `
  mutation CancelStream($id: ID!) {
    cancelStream(id: $id) {
      __typename
      ... on CancelStreamSuccess { wasActive stream { id status } }
      ...ErrorFields
    }
  }
  ${ERROR_FIELDS}
`;

export const CHAT = /* GraphQL */ `
  query Chat($id: ID!) {
    chat(id: $id) {
      id title version messageCount activeConnections
      threads(first: 100) { edges { node { id version messageCount } } }
    }
  }
`;

export const THREAD = /* GraphQL */ `
  query Thread($id: ID!) {
    thread(id: $id) {
      id title metadata version messageCount deletedAt restoreUntil
      chat { id }
      messages(first: 100) {
        edges { node { id role content sessionId memoryType chatType feedback createdAt } }
      }
    }
  }
`;

export const STREAM = /* GraphQL */ `
  query Stream($id: ID!) {
    stream(id: $id) {
      id status version eventCount
      thread { id }
      events(first: 1000) { seq type data }
      message { id role content }
    }
  }
`;

export const MESSAGES = /* GraphQL */ `
  query Messages($flowId: ID!, $filter: MessageFilter) {
    messages(flowId: $flowId, filter: $filter, first: 100) {
      edges { node { id content role chatId thread { id } } }
      pageInfo { hasNextPage }
    }
  }
`;

export const DELETED_THREADS = /* GraphQL */ `
  query DeletedThreads {
    deletedThreads(first: 100) { edges { node { id title deletedAt restoreUntil messageCount } } }
  }
`;

export const AUDIT_LOG = /* GraphQL */ `
  query AuditLog {
    auditLog(first: 100) { edges { node { ...AuditFields } } }
  }
  ${AUDIT_FIELDS}
`;

/** Everything a tenant can read about one flow, to prove that "nothing changed". */
export const FLOW_SNAPSHOT = /* GraphQL */ `
  query FlowSnapshot($flowId: ID!) {
    flow(id: $flowId) {
      id name type
      chats(first: 100) {
        edges { node {
          id title version messageCount updatedAt
          threads(first: 100) {
            edges { node {
              id title version messageCount
              messages(first: 100) {
                edges { node { id role content sessionId memoryType chatType feedback createdAt } }
              }
            } }
          }
        } }
      }
    }
    messages(flowId: $flowId, first: 100) { edges { node { id } } }
    deletedThreads(first: 100) { edges { node { id version deletedAt restoreUntil messageCount } } }
    auditLog(first: 100) { edges { node { id action targetId } } }
  }
`;

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const DAY_MS = 24 * 60 * 60 * 1000;

/** Runs an operation that must not produce GraphQL errors; returns `data[field]`. */
export async function run<T = any>(
  t: TestApp,
  query: string,
  variables: Record<string, unknown>,
  field: string,
  options: { key?: string | null; headers?: Record<string, string> } = {},
): Promise<T> {
  const { status, body } = await t.gql(query, variables, options);
  if (body.errors) throw new Error(`${field} answered GraphQL errors (HTTP ${status}): ${JSON.stringify(body.errors)}`);
  return body.data[field] as T;
}

export const deleteChat = (t: TestApp, vars: { id: string; expectedVersion?: number; force?: boolean }, key?: string) =>
  run(t, DELETE_CHAT, vars, 'deleteChat', { key });
export const deleteThread = (t: TestApp, vars: { id: string; permanent?: boolean; expectedVersion?: number }, key?: string) =>
  run(t, DELETE_THREAD, vars, 'deleteThread', { key });
export const deleteStream = (t: TestApp, vars: { id: string; expectedVersion?: number }, key?: string) =>
  run(t, DELETE_STREAM, vars, 'deleteStream', { key });
export const deleteMessages = (
  t: TestApp,
  vars: { flowId: string; filter?: Record<string, unknown>; hardDelete?: boolean },
  key?: string,
) => run(t, DELETE_MESSAGES, vars, 'deleteMessages', { key });
export const restoreThread = (t: TestApp, id: string, key?: string) => run(t, RESTORE_THREAD, { id }, 'restoreThread', { key });
export const cancelStream = (t: TestApp, id: string, key?: string) => run(t, CANCEL_STREAM, { id }, 'cancelStream', { key });

export const readChat = (t: TestApp, id: string, key?: string) => run(t, CHAT, { id }, 'chat', { key });
export const readThread = (t: TestApp, id: string, key?: string) => run(t, THREAD, { id }, 'thread', { key });
export const readStream = (t: TestApp, id: string, key?: string) => run(t, STREAM, { id }, 'stream', { key });
export const flowSnapshot = async (t: TestApp, flowId: string, key?: string) =>
  (await t.gql(FLOW_SNAPSHOT, { flowId }, { key })).body;

export async function messageIds(t: TestApp, flowId: string, filter?: Record<string, unknown>, key?: string): Promise<string[]> {
  const conn = await run(t, MESSAGES, { flowId, filter }, 'messages', { key });
  expect(conn.pageInfo.hasNextPage).toBe(false);
  return conn.edges.map((e: any) => e.node.id as string).sort();
}

export async function deletedThreadIds(t: TestApp, key?: string): Promise<string[]> {
  const conn = await run(t, DELETED_THREADS, {}, 'deletedThreads', { key });
  return conn.edges.map((e: any) => e.node.id as string);
}

export async function auditEntries(t: TestApp, key?: string): Promise<any[]> {
  const conn = await run(t, AUDIT_LOG, {}, 'auditLog', { key });
  return conn.edges.map((e: any) => e.node);
}

// ------------------------------------------------------------------ streams

/** A prompt of `n` words: the built-in generator needs n × 5 ms to echo it in tests. */
export const longPrompt = (n = 200) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

export async function startStream(t: TestApp, threadId: string, prompt: string, key?: string) {
  const r = await run(t, START_STREAM, { input: { threadId, prompt } }, 'startStream', { key });
  if (r.__typename !== 'StartStreamSuccess') throw new Error(`startStream failed: ${JSON.stringify(r)}`);
  return { streamId: r.stream.id as string, promptId: r.prompt.id as string };
}

/** Polls `read` until `done` holds, failing with the last value after `timeoutMs`. */
export async function waitUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await sleep(5);
  }
}

export const waitForStatus = (t: TestApp, streamId: string, status: string) =>
  waitUntil(() => readStream(t, streamId), (s) => s?.status === status, `stream ${streamId} to be ${status}`);

/** Until the stream is RUNNING and has written at least one TOKEN. */
export const waitForTokens = (t: TestApp, streamId: string) =>
  waitUntil(
    () => readStream(t, streamId),
    (s) => s?.status === 'RUNNING' && s.events.some((e: any) => e.type === 'TOKEN'),
    `stream ${streamId} to be writing tokens`,
  );

// ------------------------------------------------------------------ raw rows

/** Rows of each table, for the checks that speak about what is stored. */
export async function rowCounts(t: TestApp): Promise<Record<string, number>> {
  const db = t.app.deps.store.db;
  const counts: Record<string, number> = {};
  for (const table of ['flows', 'chats', 'threads', 'messages', 'streams', 'stream_events', 'audit_log'] as const) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  return counts;
}

export async function streamEventRows(t: TestApp, streamId: string) {
  return t.app.deps.store.db.selectFrom('stream_events').selectAll().where('stream_id', '=', streamId).orderBy('seq').execute();
}

export async function messageRowsOfThread(t: TestApp, threadId: string) {
  return t.app.deps.store.db.selectFrom('messages').selectAll().where('thread_id', '=', threadId).execute();
}
