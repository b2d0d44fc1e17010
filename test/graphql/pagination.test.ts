import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestApp, startTestApp } from '../helpers/harness.ts';
import { deleteMessages, deleteThread } from './documents.ts';

// Every list is a Relay connection: first/after walk through all items, once each, with
// opaque cursors; a cursor that is not one of the list's gives BAD_USER_INPUT.

let t: TestApp;
beforeEach(async () => {
  t = await startTestApp();
});
afterEach(async () => t.close());

interface Page {
  edges: { cursor: string; node: { id: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Walks a connection page by page; `pick` finds it in the response data. */
async function walk(query: string, vars: Record<string, unknown>, pick: (data: any) => Page, size: number) {
  const ids: string[] = [];
  const cursors: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 100; page++) {
    const { body } = await t.gql(query, { ...vars, first: size, after });
    expect(body.errors).toBeUndefined();
    const conn = pick(body.data);
    expect(conn.edges.length).toBeLessThanOrEqual(size);
    for (const edge of conn.edges) {
      ids.push(edge.node.id);
      cursors.push(edge.cursor);
    }
    if (!conn.pageInfo.hasNextPage) return { ids, cursors, pages: page + 1 };
    expect(conn.edges).toHaveLength(size);
    expect(conn.pageInfo.endCursor).toBe(conn.edges.at(-1)!.cursor);
    after = conn.pageInfo.endCursor;
  }
  throw new Error('the connection never ended');
}

/** All items once each, in the expected order, with cursors that do not show the ids. */
function expectCompleteWalk(result: { ids: string[]; cursors: string[]; pages: number }, expected: string[], size: number) {
  expect(result.ids).toEqual(expected);
  expect(new Set(result.ids).size).toBe(result.ids.length);
  expect(result.pages).toBe(Math.max(1, Math.ceil(expected.length / size)));
  expect(new Set(result.cursors).size).toBe(result.cursors.length);
  result.cursors.forEach((cursor, i) => {
    expect(cursor).not.toBe(result.ids[i]);
    expect(cursor).not.toContain(result.ids[i]);
  });
}

const EDGE = 'edges { cursor node { id } } pageInfo { hasNextPage endCursor }';

describe('walking with first/after', () => {
  it('flows', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await createFlow(t, `flow ${i}`));
    // B's flows never show up in A's list.
    await createFlow(t, 'of B', t.keys.b);
    const r = await walk(`query($first: Int, $after: String) { flows(first: $first, after: $after) { ${EDGE} } }`, {}, (d) => d.flows, 5);
    expectCompleteWalk(r, ids, 5);
  });

  it('chats(flowId) and Flow.chats', async () => {
    const flowId = await createFlow(t, 'F');
    const other = await createFlow(t, 'G');
    await createChat(t, other, 'not in F');
    const ids: string[] = [];
    for (let i = 0; i < 11; i++) ids.push(await createChat(t, flowId, `chat ${i}`));
    const top = await walk(
      `query($f: ID, $first: Int, $after: String) { chats(flowId: $f, first: $first, after: $after) { ${EDGE} } }`,
      { f: flowId },
      (d) => d.chats,
      4,
    );
    expectCompleteWalk(top, ids, 4);
    const nested = await walk(
      `query($f: ID!, $first: Int, $after: String) { flow(id: $f) { chats(first: $first, after: $after) { ${EDGE} } } }`,
      { f: flowId },
      (d) => d.flow.chats,
      3,
    );
    expectCompleteWalk(nested, ids, 3);
  });

  it('Chat.threads, without the soft-deleted ones', async () => {
    const flowId = await createFlow(t, 'F');
    const chatId = await createChat(t, flowId, 'C');
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) ids.push(await createThread(t, chatId, `thread ${i}`));
    await deleteThread(t, { id: ids[4]! });
    const live = ids.filter((_, i) => i !== 4);
    const r = await walk(
      `query($c: ID!, $first: Int, $after: String) { chat(id: $c) { threads(first: $first, after: $after) { ${EDGE} } } }`,
      { c: chatId },
      (d) => d.chat.threads,
      3,
    );
    expectCompleteWalk(r, live, 3);
  });

  it('Thread.messages and messages(flowId), oldest first', async () => {
    const flowId = await createFlow(t, 'F');
    const chatId = await createChat(t, flowId, 'C');
    const threadId = await createThread(t, chatId, 'T');
    const ids: string[] = [];
    // Posted out of time order; both lists are ordered by createdAt.
    const times = Array.from({ length: 13 }, (_, i) => `2024-01-01T00:00:${String((i * 7) % 13).padStart(2, '0')}.000Z`);
    const byTime: [string, string][] = [];
    for (const createdAt of times) {
      const id = await postMessage(t, threadId, { createdAt });
      ids.push(id);
      byTime.push([createdAt, id]);
    }
    const expected = byTime.sort(([a], [b]) => a.localeCompare(b)).map(([, id]) => id);
    const nested = await walk(
      `query($th: ID!, $first: Int, $after: String) { thread(id: $th) { messages(first: $first, after: $after) { ${EDGE} } } }`,
      { th: threadId },
      (d) => d.thread.messages,
      5,
    );
    expectCompleteWalk(nested, expected, 5);
    const top = await walk(
      `query($f: ID!, $first: Int, $after: String) { messages(flowId: $f, first: $first, after: $after) { ${EDGE} } }`,
      { f: flowId },
      (d) => d.messages,
      4,
    );
    expectCompleteWalk(top, expected, 4);
  });

  it('messages(flowId) with a filter pages within the filter', async () => {
    const flowId = await createFlow(t, 'F');
    const chatId = await createChat(t, flowId, 'C');
    const threadId = await createThread(t, chatId, 'T');
    const kept: string[] = [];
    for (let i = 0; i < 10; i++) {
      const id = await postMessage(t, threadId, { sessionId: i % 2 === 0 ? 'even' : 'odd' });
      if (i % 2 === 0) kept.push(id);
    }
    const r = await walk(
      `query($f: ID!, $filter: MessageFilter, $first: Int, $after: String) { messages(flowId: $f, filter: $filter, first: $first, after: $after) { ${EDGE} } }`,
      { f: flowId, filter: { sessionId: 'even' } },
      (d) => d.messages,
      2,
    );
    expectCompleteWalk(r, kept, 2);
  });

  it('deletedThreads', async () => {
    const flowId = await createFlow(t, 'F');
    const chatId = await createChat(t, flowId, 'C');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const id = await createThread(t, chatId, `thread ${i}`);
      await deleteThread(t, { id });
      ids.push(id);
    }
    const r = await walk(
      `query($first: Int, $after: String) { deletedThreads(first: $first, after: $after) { ${EDGE} } }`,
      {},
      (d) => d.deletedThreads,
      3,
    );
    expect([...r.ids].sort()).toEqual([...ids].sort());
    expectCompleteWalk(r, r.ids, 3);
  });

  it('auditLog, newest first', async () => {
    const flowId = await createFlow(t, 'F');
    const chatId = await createChat(t, flowId, 'C');
    const threadIds: string[] = [];
    for (let i = 0; i < 8; i++) threadIds.push(await createThread(t, chatId, `thread ${i}`));
    const entries: string[] = [];
    for (const id of threadIds) entries.push((await deleteThread(t, { id })).auditEntry.id);
    const r = await walk(
      `query($first: Int, $after: String) { auditLog(first: $first, after: $after) { ${EDGE} } }`,
      {},
      (d) => d.auditLog,
      3,
    );
    expectCompleteWalk(r, [...entries].reverse(), 3);
  });

  it('a page walk does not repeat or skip items when earlier ones are deleted meanwhile', async () => {
    const flowId = await createFlow(t, 'F');
    const chatId = await createChat(t, flowId, 'C');
    const threadId = await createThread(t, chatId, 'T');
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await postMessage(t, threadId, { sessionId: `s${i}` }));
    const query = `query($f: ID!, $first: Int, $after: String) { messages(flowId: $f, first: $first, after: $after) { ${EDGE} } }`;
    const first = (await t.gql(query, { f: flowId, first: 3 })).body.data.messages as Page;
    expect(first.edges.map((e) => e.node.id)).toEqual(ids.slice(0, 3));
    await deleteMessages(t, { flowId, filter: { sessionId: 's0' } });
    const second = (await t.gql(query, { f: flowId, first: 3, after: first.pageInfo.endCursor })).body.data.messages as Page;
    expect(second.edges.map((e) => e.node.id)).toEqual(ids.slice(3, 6));
    expect(second.pageInfo.hasNextPage).toBe(false);
  });
});

describe('bad cursors', () => {
  const lists: [string, string][] = [
    ['flows', `query($after: String) { flows(first: 5, after: $after) { ${EDGE} } }`],
    ['chats', `query($after: String) { chats(first: 5, after: $after) { ${EDGE} } }`],
    ['deletedThreads', `query($after: String) { deletedThreads(first: 5, after: $after) { ${EDGE} } }`],
    ['auditLog', `query($after: String) { auditLog(first: 5, after: $after) { ${EDGE} } }`],
  ];

  it.each(lists)('%s: a garbage after cursor gives BAD_USER_INPUT', async (_name, query) => {
    for (const after of ['garbage', '%%%', '']) {
      const { body } = await t.gql(query, { after });
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('messages(flowId) and Thread.messages: a garbage after cursor gives BAD_USER_INPUT', async () => {
    const flowId = await createFlow(t, 'F');
    const chatId = await createChat(t, flowId, 'C');
    const threadId = await createThread(t, chatId, 'T');
    await postMessage(t, threadId);
    const top = await t.gql(`query($f: ID!) { messages(flowId: $f, first: 5, after: "garbage") { ${EDGE} } }`, { f: flowId });
    expect(top.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const nested = await t.gql(`query($th: ID!) { thread(id: $th) { messages(first: 5, after: "garbage") { ${EDGE} } } }`, {
      th: threadId,
    });
    expect(nested.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('chats(flowId): a flowId that is no UUID (a NUL after one included) gives BAD_USER_INPUT, on every engine', async () => {
    const flowId = await createFlow(t, 'F');
    for (const f of [`${flowId}\u0000`, 'not-an-id', '']) {
      const { body } = await t.gql(`query($f: ID) { chats(flowId: $f, first: 1) { ${EDGE} } }`, { f });
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(body.errors?.[0]?.message).toMatch(/flowId/);
    }
  });

  it('auditLog: a cursor holding a number beyond the exact integers gives BAD_USER_INPUT, on every engine', async () => {
    // 3.7e152 is an integer to JavaScript but no bigint seq of PostgreSQL.
    for (const seq of [3.6666961763102074e152, 2 ** 53, 1.5, -1, 0]) {
      const after = Buffer.from(JSON.stringify([seq])).toString('base64url');
      const { body } = await t.gql(`query($after: String) { auditLog(first: 5, after: $after) { ${EDGE} } }`, { after });
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it("a cursor of the audit log is not a cursor of another list, and the other way round", async () => {
    const flowId = await createFlow(t, 'F');
    const chatId = await createChat(t, flowId, 'C');
    for (let i = 0; i < 2; i++) await deleteThread(t, { id: await createThread(t, chatId, `t${i}`) });
    const audit = (await t.gql(`{ auditLog(first: 1) { ${EDGE} } }`)).body.data.auditLog as Page;
    const flows = (await t.gql(`{ flows(first: 1) { ${EDGE} } }`)).body.data.flows as Page;
    const wrong1 = await t.gql(`query($a: String) { flows(first: 1, after: $a) { ${EDGE} } }`, { a: audit.edges[0]!.cursor });
    expect(wrong1.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const wrong2 = await t.gql(`query($a: String) { auditLog(first: 1, after: $a) { ${EDGE} } }`, { a: flows.edges[0]!.cursor });
    expect(wrong2.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
