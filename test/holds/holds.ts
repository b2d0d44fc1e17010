import { expect } from 'vitest';
import type { TestApp } from '../helpers/harness.ts';
import { run } from '../graphql/documents.ts';

// GraphQL documents and row checks shared by the legal-hold and dry-run tests.

const ERRORS = /* GraphQL */ `
  fragment HoldErrors on Error {
    __typename
    message
    ... on NotFoundError { resourceType id }
    ... on ConflictError { reason activeConnections currentVersion holdIds }
    ... on ValidationError { fieldErrors { path message } }
  }
`;

const AUDIT = 'auditEntry { id action } receipt { id } dryRun';

export const DELETES = {
  deleteChat: `mutation($id: ID!, $expectedVersion: Int, $force: Boolean, $dryRun: Boolean) {
    deleteChat(id: $id, expectedVersion: $expectedVersion, force: $force, dryRun: $dryRun) {
      __typename
      ... on DeleteChatSuccess { chatId success message deletedThreadCount deletedMessageCount cancelledStreamCount closedConnections erasureJob { id } ${AUDIT} }
      ...HoldErrors
    }
  } ${ERRORS}`,
  deleteThread: `mutation($id: ID!, $permanent: Boolean, $expectedVersion: Int, $dryRun: Boolean) {
    deleteThread(id: $id, permanent: $permanent, expectedVersion: $expectedVersion, dryRun: $dryRun) {
      __typename
      ... on DeleteThreadSuccess { id deleted object status message threadTitle chatId flowId deletedMessageCount cancelledStreamCount deletedBy softDelete permanentDelete canRestore ${AUDIT} }
      ...HoldErrors
    }
  } ${ERRORS}`,
  deleteStream: `mutation($id: ID!, $expectedVersion: Int, $dryRun: Boolean) {
    deleteStream(id: $id, expectedVersion: $expectedVersion, dryRun: $dryRun) {
      __typename
      ... on DeleteStreamSuccess { streamId previousStatus cancelled deletedEventCount ${AUDIT} }
      ...HoldErrors
    }
  } ${ERRORS}`,
  deleteMessages: `mutation($flowId: ID!, $filter: MessageFilter, $hardDelete: Boolean, $dryRun: Boolean) {
    deleteMessages(flowId: $flowId, filter: $filter, hardDelete: $hardDelete, dryRun: $dryRun) {
      __typename
      ... on DeleteMessagesSuccess { affected hardDelete erasedEventCount ${AUDIT} }
      ...HoldErrors
    }
  } ${ERRORS}`,
} as const;

export type DeleteName = keyof typeof DELETES;

export const del = (t: TestApp, name: DeleteName, vars: Record<string, unknown>, key?: string) => run(t, DELETES[name], vars, name, { key });

const HOLD = 'hold { id scope targetId reason createdAt createdBy releasedAt }';

export const PLACE = `mutation($input: PlaceLegalHoldInput!) {
  placeLegalHold(input: $input) { __typename ... on PlaceLegalHoldSuccess { ${HOLD} } ...HoldErrors }
} ${ERRORS}`;
export const RELEASE = `mutation($id: ID!) {
  releaseLegalHold(id: $id) { __typename ... on ReleaseLegalHoldSuccess { ${HOLD} } ...HoldErrors }
} ${ERRORS}`;
export const LIST = `query($active: Boolean, $first: Int, $after: String) {
  legalHolds(active: $active, first: $first, after: $after) { edges { cursor node { id scope targetId releasedAt } } pageInfo { hasNextPage endCursor } }
}`;

export const place = (t: TestApp, input: { scope: string; targetId: string; reason?: string }, key?: string) =>
  run(t, PLACE, { input: { reason: 'Litigation hold, case 2026-117', ...input } }, 'placeLegalHold', { key });

/** Places a hold that must succeed; its id. */
export async function hold(t: TestApp, scope: string, targetId: string, key?: string): Promise<string> {
  const r = await place(t, { scope, targetId }, key);
  if (r.__typename !== 'PlaceLegalHoldSuccess') throw new Error(`placeLegalHold failed: ${JSON.stringify(r)}`);
  return r.hold.id as string;
}

export const release = (t: TestApp, id: string, key?: string) => run(t, RELEASE, { id }, 'releaseLegalHold', { key });

export async function listHoldIds(t: TestApp, active?: boolean, key?: string): Promise<string[]> {
  const conn = await run(t, LIST, { active, first: 100 }, 'legalHolds', { key });
  return conn.edges.map((e: any) => e.node.id as string);
}

/** The answer a client sees for a held delete. */
export const heldBy = (...holdIds: string[]) => ({
  __typename: 'ConflictError',
  message: expect.stringContaining('legal hold'),
  reason: 'LEGAL_HOLD',
  activeConnections: null,
  currentVersion: null,
  holdIds,
});

/** Every row a delete could change, count by table: equal before and after means nothing changed. */
export async function everyRowCount(t: TestApp): Promise<Record<string, number>> {
  const db = t.app.deps.store.db;
  const tables = [
    'flows',
    'chats',
    'threads',
    'messages',
    'streams',
    'stream_events',
    'audit_log',
    'erasure_jobs',
    'erasure_receipts',
    'erasure_deliveries',
    'idempotency_keys',
    'legal_holds',
  ] as const;
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    counts[table] = Number(row.n);
  }
  // A soft delete changes no count: its marks are counted too.
  const soft = await db.selectFrom('threads').select((eb) => eb.fn.countAll<number>().as('n')).where('deleted_at', 'is not', null).executeTakeFirstOrThrow();
  counts.threads_deleted = Number(soft.n);
  return counts;
}
