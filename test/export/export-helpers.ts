import { request } from 'node:http';
import { expect } from 'vitest';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import type { TestApp } from '../helpers/harness.ts';

export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const FORMAT = 'chat-gateway.chat-export.v1';

/**
 * A chat as a client builds it: a live thread with metadata and three messages that use
 * every field (posted out of time order), and a soft-deleted thread with one message.
 * Answers the records its export must hold, in their order, read back through GraphQL.
 */
export async function exportableChat(t: TestApp) {
  const flowId = await createFlow(t, 'Billing bot');
  const chatId = await createChat(t, flowId, 'Support chat');
  const { body: created } = await t.gql(
    `mutation($input: CreateThreadInput!) { createThread(input: $input) { ... on CreateThreadSuccess { thread { id } } } }`,
    { input: { chatId, title: 'Billing', metadata: { topic: 'billing', tags: ['vip'] } } },
  );
  const live: string = created.data.createThread.thread.id;
  const old = await createThread(t, chatId, 'Old');
  const fields = [
    { role: 'USER', content: 'my invoice is wrong', sessionId: 's-1', memoryType: 'buffer', chatType: 'EXTERNAL', feedback: null, createdAt: '2026-01-10T09:00:00.000Z' },
    { role: 'ASSISTANT', content: 'Let me check "that"\nline two ✓', sessionId: 's-1', memoryType: 'buffer', chatType: 'EXTERNAL', feedback: 'THUMBS_UP', createdAt: '2026-01-10T09:00:01.000Z' },
    { role: 'SYSTEM', content: 'You are a billing assistant.', sessionId: null, memoryType: null, chatType: 'INTERNAL', feedback: null, createdAt: '2026-01-10T08:59:00.000Z' },
  ] as const;
  const ids: string[] = [];
  for (const f of fields) {
    const { sessionId, memoryType, feedback, ...rest } = f;
    ids.push(await postMessage(t, live, { ...rest, ...(sessionId && { sessionId }), ...(memoryType && { memoryType }), ...(feedback && { feedback }) }));
  }
  const gone = { role: 'USER', content: 'please forget this', sessionId: 's-2', memoryType: null, chatType: 'INTERNAL', feedback: 'THUMBS_DOWN', createdAt: '2026-01-09T12:00:00.000Z' } as const;
  const goneId = await postMessage(t, old, { role: gone.role, content: gone.content, sessionId: gone.sessionId, feedback: gone.feedback, createdAt: gone.createdAt });
  await t.gql(`mutation($id: ID!) { deleteThread(id: $id) { __typename } }`, { id: old });

  const { body } = await t.gql(
    `query($id: ID!) {
      chat(id: $id) { id title version createdAt updatedAt threads(first: 10) { edges { node { id title metadata version createdAt } } } }
      deletedThreads(first: 10) { edges { node { id title metadata version createdAt deletedAt restoreUntil } } }
    }`,
    { id: chatId },
  );
  const chat = body.data.chat;
  const liveThread = chat.threads.edges[0].node;
  const oldThread = body.data.deletedThreads.edges[0].node;
  const message = (id: string, threadId: string, f: (typeof fields)[number] | typeof gone) => ({ type: 'message', id, flowId, chatId, threadId, ...f });
  const records = [
    { type: 'export', format: FORMAT, chatId, exportedAt: expect.stringMatching(ISO) },
    { type: 'chat', id: chatId, flowId, title: 'Support chat', version: chat.version, createdAt: chat.createdAt, updatedAt: chat.updatedAt },
    {
      type: 'thread',
      ...liveThread,
      chatId,
      flowId,
      updatedAt: expect.stringMatching(ISO),
      deletedAt: null,
      restoreUntil: null,
      deletedBy: null,
    },
    message(ids[2]!, live, fields[2]),
    message(ids[0]!, live, fields[0]),
    message(ids[1]!, live, fields[1]),
    { type: 'thread', ...oldThread, chatId, flowId, updatedAt: expect.stringMatching(ISO), deletedBy: 'key-a' },
    message(goneId, old, gone),
    { type: 'end', threadCount: 2, messageCount: 4, chatVersion: chat.version },
  ];
  expect(oldThread.deletedAt).toMatch(ISO);
  return { flowId, chatId, live, old, records };
}

export interface NdjsonAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as the socket delivered it, piece by piece. */
  chunks: string[];
  text: string;
  /** Every line parsed (for a JSON error answer: the one value). */
  records: any[];
}

/** GET over a real socket, reading the body chunk by chunk as it arrives. */
export function getNdjson(base: string, path: string, key?: string): Promise<NdjsonAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { headers: key === undefined ? {} : { 'x-api-key': key } }, (res) => {
      const chunks: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => chunks.push(chunk));
      res.on('end', () => {
        const text = chunks.join('');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, chunks, text, records: parseLines(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export function parseLines(text: string): any[] {
  if (!text.endsWith('\n')) return text === '' ? [] : [JSON.parse(text)];
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line));
}

/** The records of an export nested as exportChat's `data` holds them. */
export function nested(records: any[]) {
  const strip = ({ type: _, ...fields }: any) => fields;
  const [header, chat, ...rest] = records;
  const end = rest.pop();
  const threads: any[] = [];
  for (const r of rest) {
    if (r.type === 'thread') threads.push({ ...strip(r), messages: [] });
    else threads.at(-1).messages.push(strip(r));
  }
  return { ...strip(header), chat: { ...strip(chat), threads }, end: strip(end) };
}

/** The SQL statements that read a page of a thread's messages. */
export const messagePages = (queries: readonly string[]) => queries.filter((q) => /from "messages" where "thread_id" = /.test(q)).length;
