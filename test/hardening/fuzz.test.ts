import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Permission, createApiKey } from '../../src/domain/api-keys.ts';
import { schema } from '../../src/graphql/schema.ts';
import { createChat, createFlow, createThread, postMessage } from '../helpers/fixtures.ts';
import { type TestServer, startTestServer } from '../helpers/server.ts';
import { type Replica, createKey, startReplica } from '../replicas/processes.ts';
import { type TenantDump, dumpDiff, tenantDump, tenantIdOf } from './tenant-checksum.ts';

// Issue 8, "Done when": a fuzz test sends thousands of random and malformed operations,
// variables and REST requests (bad ids, huge strings, odd unicode, wrong types, SQL-like
// text): the server never crashes, never answers 500 for input it could reject, and a
// checksum of the other tenants' data is unchanged afterwards.
//
// Every fuzz request carries one of tenant A's keys (full, read-only, write-only,
// delete-only or read+delete permissions); many of them name tenant B's ids. After each
// request:
//   - the status is < 500, and the request was answered within REQUEST_TIMEOUT_MS;
//   - the body is JSON (a GraphQL response on /graphql), or the documented exceptions:
//     204 without a body (REST stream delete), text/event-stream (subscriptions, the
//     stream events route, or any GraphQL operation asked for with Accept:
//     text/event-stream) whose `data:` lines are JSON, multipart/mixed when the client
//     asked for it (yoga's incremental delivery) whose parts are JSON, no body for HEAD
//     or OPTIONS, and an empty 404/405/406/415 only where no route or handler exists for
//     the request at all (yoga's answers to an unknown path, method, Accept or
//     Content-Type on /graphql);
//   - a GraphQL error never is yoga's masked "Unexpected error." (an exception the code
//     did not expect: input it could have rejected reached a crash path);
//   - no answer carries B's content, a stack trace, an SQL error or a file path;
//   - no error is left unhandled (an unhandled rejection ends the real server process).
// At the end the server still answers (in-process and on its port), and the checksum of
// B's rows (every table with tenant_id, see tenant-checksum.ts) is unchanged.
//
// Most requests go through yoga's fetch in-process (fast); the raw-socket case uses the
// real port. A mishandled request does not stop its property: each property lists every
// kind of failure it met (what, where, how often, one replayable request and the answer).
// Cases found before run first on every run (fast-check `examples`).
//
// FUZZ_RUNS scales the number of runs (default 1 = about 11,000 requests, 20-40 s here);
// FUZZ_SEED replays a run (the seed is printed at the end of every run).

const SCALE = Number(process.env.FUZZ_RUNS ?? 1);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
const REQUEST_TIMEOUT_MS = 15_000;
const B_SECRET = `B-SECRET-${Math.random().toString(36).slice(2, 10)}`;

let t: TestServer;
let bTenant: string;
let bBefore: TenantDump;
/** What B reads of its chat before the fuzz, to compare after. */
let bView: unknown;
/** Pools read at generation time (they grow as A's data is replenished). */
const pool = { a: [] as string[], b: [] as string[], aKeys: [] as string[], bCursors: [] as string[] };
const stats = { requests: 0, byStatus: new Map<string, number>(), emptyNonJson: new Map<string, number>() };
/** The last requests sent, to name the suspects of a crash. */
const recent: string[] = [];
/**
 * Errors nothing handled (a rejected promise no one awaited): in the real server process
 * (`chat-gateway serve`, Node's default --unhandled-rejections=throw) each one ends the
 * process, so one such request takes the service down for every tenant.
 */
const crashes: { error: string; lastRequestsBeforeItSurfaced: string[] }[] = [];
const onUnhandled = (reason: unknown) => {
  crashes.push({
    error: String(reason instanceof Error ? reason.stack?.split('\n').slice(0, 4).join(' | ') : reason),
    // Where it surfaced, not necessarily what caused it: a rejected promise is reported when found.
    lastRequestsBeforeItSurfaced: [...recent],
  });
};

// ------------------------------------------------------------------ arbitraries

const NASTY = [
  "'; DROP TABLE messages; --",
  "' OR '1'='1",
  '" OR 1=1 --',
  '1; DELETE FROM chats WHERE 1=1; --',
  "') UNION SELECT content, tenant_id FROM messages --",
  'tenant_id',
  '%',
  '_',
  '%_%',
  '\\',
  '\\\\x00',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF',
  '\uDBFF\uDFFF',
  'x\uDC00y',
  '\u202E',
  '\u200F',
  '\u200E\u202Bשלום\u202C',
  '\u200B',
  '\uFEFF',
  '\uFFFE',
  '\u0085',
  '\u2028\u2029',
  '👩‍👩‍👧‍👦',
  '🔥💀🏳️‍🌈',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇',
  'é',
  'e\u0301',
  '\r\n',
  '\n',
  '\t',
  ' ',
  '',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '__proto__',
  'constructor',
  'prototype',
  '{"$ne":null}',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '../../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  'true',
  '0',
  '-1',
  '1e309',
  '99999999999999999999999999999999',
  '2024-02-30',
  '2024-01-01T25:00:00Z',
  '0000-00-00',
  '+275760-09-13T00:00:00.000Z',
  'CHATFLOW',
  'THUMBS_DOWN',
];

/** One UTF-16 code unit of any value: lone surrogates included. */
const utf16Unit = fc.nat(0xffff).map((n) => String.fromCharCode(n));

const hugeString = fc
  .record({ chunk: fc.string({ unit: utf16Unit, minLength: 1, maxLength: 12 }), size: fc.integer({ min: 1_000, max: 200_000 }) })
  .map(({ chunk, size }) => {
    // No white space: the built-in generator echoes a prompt word by word, and a
    // 200 kB prompt of one-letter words would run for minutes.
    const c = chunk.replace(/\s/g, 'x') || 'x';
    return c.repeat(Math.ceil(size / c.length)).slice(0, size);
  });

const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NASTY) },
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 4, arbitrary: fc.string({ unit: utf16Unit, maxLength: 40 }) },
  { weight: 3, arbitrary: fc.array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 8 })), { maxLength: 6 }).map((p) => p.join('')) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
  { weight: 1, arbitrary: hugeString },
);

/** Ids of every kind: A's, B's (the target of most), unknown, malformed. */
const idArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.nat().map((i) => pool.b[i % pool.b.length]!) },
  { weight: 3, arbitrary: fc.nat().map((i) => pool.a[i % pool.a.length]!) },
  { weight: 1, arbitrary: fc.nat().map((i) => pool.b[i % pool.b.length]!.toUpperCase()) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom(' ', '\n', '\u0000', "'--", '%', ' OR 1=1', '\u200B')).map(([i, s]) => pool.b[i % pool.b.length]! + s) },
  { weight: 2, arbitrary: fc.uuid() },
  { weight: 2, arbitrary: nastyString },
);

const jsonish = fc.jsonValue({ maxDepth: 3 });
/** A value of any JSON type, for the wrong-type cases. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: idArb },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.array(jsonish, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), jsonish, { maxKeys: 4 }) },
  // Deeply nested JSON (for the JSON scalar and the variable coercion).
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 3000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth))) },
);

const mostly = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: good }, { weight: 1, arbitrary: anyValue });
const intArb = mostly(
  fc.oneof(
    fc.integer({ min: -3, max: 150 }),
    fc.constantFrom(0, -1, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MAX_VALUE),
    fc.double({ noNaN: true }),
  ),
);
const boolArb = mostly(fc.boolean());
const dateArb = mostly(
  fc.oneof(
    fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    fc.constantFrom('2024-02-29', '2023-02-29', '2024-13-01', '2024-01-01T23:59:60Z', '2024-01-01T10:00:00+14:00', '2024-01-01T10:00:00.123456789Z', '1e10', ''),
    nastyString,
  ),
);
const cursorArb = mostly(
  fc.oneof(
    fc.nat().map((i) => pool.bCursors[i % pool.bCursors.length]!),
    fc.tuple(nastyString, idArb).map((parts) => Buffer.from(JSON.stringify(parts)).toString('base64url')),
    fc.array(anyValue, { maxLength: 3 }).map((parts) => Buffer.from(JSON.stringify(parts)).toString('base64url')),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64url')),
    nastyString,
  ),
);
const enumArb = (...values: string[]) => mostly(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: nastyString }));
const listArb = <T>(item: fc.Arbitrary<T>) => mostly(fc.array(item, { maxLength: 4 }));
/** An input object: some of its fields (typed or not), sometimes with unknown extra fields. */
const inputArb = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  mostly(
    fc
      .tuple(fc.record(fields, { requiredKeys: [] }), fc.option(fc.dictionary(fc.string({ maxLength: 8 }), anyValue, { maxKeys: 2 }), { nil: undefined }))
      .map(([known, extra]) => ({ ...extra, ...known })),
  );
const filterArb = inputArb({
  chatId: mostly(idArb),
  threadId: mostly(idArb),
  sessionId: mostly(nastyString),
  memoryType: mostly(nastyString),
  chatTypes: listArb(enumArb('INTERNAL', 'EXTERNAL')),
  feedbackTypes: listArb(enumArb('THUMBS_UP', 'THUMBS_DOWN')),
  startDate: dateArb,
  endDate: dateArb,
});
const pagingArb = fc.record({ first: intArb, last: intArb, after: cursorArb, before: cursorArb }, { requiredKeys: [] });

const CHAT_FIELDS = `id title version messageCount activeConnections createdAt updatedAt flow { id name type }`;
const THREAD_FIELDS = `id title metadata version createdAt messageCount deletedAt restoreUntil chat { id title }`;
const MESSAGE_FIELDS = `id chatId role content sessionId memoryType chatType feedback createdAt thread { id }`;
const STREAM_FIELDS = `id status version createdAt startedAt finishedAt eventCount thread { id } message { id content }`;
const ERR = `__typename ... on Error { message } ... on NotFoundError { resourceType id } ... on ValidationError { fieldErrors { path message } }`;
/** For the unions without NotFoundError (createFlow). */
const ERR_NO_NOT_FOUND = `__typename ... on Error { message } ... on ValidationError { fieldErrors { path message } }`;

/** Every Query and Mutation field, each with a generator of (mostly typed) variables. */
const OPERATIONS: { name: string; query: string; variables: fc.Arbitrary<Record<string, unknown>> }[] = [
  {
    name: 'messages',
    query: `query($flowId: ID!, $filter: MessageFilter, $first: Int, $last: Int, $after: String, $before: String) {
      messages(flowId: $flowId, filter: $filter, first: $first, last: $last, after: $after, before: $before) {
        edges { cursor node { ${MESSAGE_FIELDS} } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`,
    variables: fc.tuple(fc.record({ flowId: mostly(idArb), filter: filterArb }, { requiredKeys: [] }), pagingArb).map(([v, p]) => ({ ...v, ...p })),
  },
  {
    name: 'thread',
    query: `query($id: ID!, $first: Int, $after: String) { thread(id: $id) { ${THREAD_FIELDS} messages(first: $first, after: $after) { edges { node { ${MESSAGE_FIELDS} } } } } }`,
    variables: fc.record({ id: mostly(idArb), first: intArb, after: cursorArb }, { requiredKeys: [] }),
  },
  {
    name: 'deletedThreads',
    query: `query($first: Int, $last: Int, $after: String, $before: String) { deletedThreads(first: $first, last: $last, after: $after, before: $before) { edges { cursor node { ${THREAD_FIELDS} } } } }`,
    variables: pagingArb,
  },
  {
    name: 'chat',
    query: `query($id: ID!, $first: Int, $after: String) { chat(id: $id) { ${CHAT_FIELDS} threads(first: $first, after: $after) { edges { cursor node { ${THREAD_FIELDS} } } } } }`,
    variables: fc.record({ id: mostly(idArb), first: intArb, after: cursorArb }, { requiredKeys: [] }),
  },
  {
    name: 'chats',
    query: `query($flowId: ID, $first: Int, $last: Int, $after: String, $before: String) { chats(flowId: $flowId, first: $first, last: $last, after: $after, before: $before) { edges { cursor node { ${CHAT_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
    variables: fc.tuple(fc.record({ flowId: mostly(idArb) }, { requiredKeys: [] }), pagingArb).map(([v, p]) => ({ ...v, ...p })),
  },
  {
    name: 'flow',
    query: `query($id: ID!, $first: Int) { flow(id: $id) { id name type createdAt chats(first: $first) { edges { node { id title } } } } }`,
    variables: fc.record({ id: mostly(idArb), first: intArb }, { requiredKeys: [] }),
  },
  {
    name: 'flows',
    query: `query($first: Int, $last: Int, $after: String, $before: String) { flows(first: $first, last: $last, after: $after, before: $before) { edges { cursor node { id name type } } } }`,
    variables: pagingArb,
  },
  {
    name: 'stream',
    query: `query($id: ID!, $afterSeq: Int, $first: Int) { stream(id: $id) { ${STREAM_FIELDS} events(afterSeq: $afterSeq, first: $first) { streamId seq type data at } } }`,
    variables: fc.record({ id: mostly(idArb), afterSeq: intArb, first: intArb }, { requiredKeys: [] }),
  },
  {
    name: 'auditLog',
    query: `query($first: Int, $after: String) { auditLog(first: $first, after: $after) { edges { cursor node { id action targetType targetId actor requestId details at } } } }`,
    variables: fc.record({ first: intArb, after: cursorArb }, { requiredKeys: [] }),
  },
  {
    name: '_entities',
    query: `query($reps: [_Any!]!) { _entities(representations: $reps) { __typename
      ... on Flow { id name } ... on Chat { id title messageCount } ... on Thread { id title }
      ... on Message { id content } ... on Stream { id status } } }`,
    variables: fc.record({
      reps: mostly(
        fc.array(
          mostly(
            fc.record(
              { __typename: enumArb('Flow', 'Chat', 'Thread', 'Message', 'Stream', 'Query', 'AuditEntry', '_Service'), id: mostly(idArb) },
              { requiredKeys: [] },
            ),
          ),
          { maxLength: 8 },
        ),
      ),
    }),
  },
  {
    name: 'postMessage',
    query: `mutation($input: PostMessageInput!) { postMessage(input: $input) { ${ERR} ... on PostMessageSuccess { posted: message { ${MESSAGE_FIELDS} } } } }`,
    variables: fc.record({
      input: inputArb({
        threadId: mostly(idArb),
        role: enumArb('USER', 'ASSISTANT', 'SYSTEM', 'TOOL'),
        content: mostly(nastyString),
        sessionId: mostly(nastyString),
        memoryType: mostly(nastyString),
        chatType: enumArb('INTERNAL', 'EXTERNAL'),
        feedback: enumArb('THUMBS_UP', 'THUMBS_DOWN'),
        createdAt: dateArb,
      }),
    }),
  },
  {
    name: 'createThread',
    query: `mutation($input: CreateThreadInput!) { createThread(input: $input) { ${ERR} ... on CreateThreadSuccess { thread { ${THREAD_FIELDS} } } } }`,
    variables: fc.record({ input: inputArb({ chatId: mostly(idArb), title: mostly(nastyString), metadata: anyValue }) }),
  },
  {
    name: 'restoreThread',
    query: `mutation($id: ID!) { restoreThread(id: $id) { ${ERR} ... on RestoreThreadSuccess { thread { id } } } }`,
    variables: fc.record({ id: mostly(idArb) }, { requiredKeys: [] }),
  },
  {
    name: 'createChat',
    query: `mutation($input: CreateChatInput!) { createChat(input: $input) { ${ERR} ... on CreateChatSuccess { chat { ${CHAT_FIELDS} } } } }`,
    variables: fc.record({ input: inputArb({ flowId: mostly(idArb), title: mostly(nastyString) }) }),
  },
  {
    name: 'createFlow',
    query: `mutation($input: CreateFlowInput!) { createFlow(input: $input) { ${ERR_NO_NOT_FOUND} ... on CreateFlowSuccess { flow { id name type } } } }`,
    variables: fc.record({ input: inputArb({ name: mostly(nastyString), type: enumArb('CHATFLOW', 'AGENTFLOW') }) }),
  },
  {
    name: 'startStream',
    query: `mutation($input: StartStreamInput!) { startStream(input: $input) { ${ERR} ... on StartStreamSuccess { stream { id status } prompt { id } } } }`,
    variables: fc.record({ input: inputArb({ threadId: mostly(idArb), prompt: mostly(nastyString) }) }),
  },
  {
    name: 'cancelStream',
    query: `mutation($id: ID!) { cancelStream(id: $id) { ${ERR} ... on CancelStreamSuccess { wasActive stream { id status } } } }`,
    variables: fc.record({ id: mostly(idArb) }, { requiredKeys: [] }),
  },
  {
    name: 'deleteChat',
    query: `mutation($id: ID!, $expectedVersion: Int, $force: Boolean) { deleteChat(id: $id, expectedVersion: $expectedVersion, force: $force) { ${ERR} ... on DeleteChatSuccess { chatId deletedMessageCount } } }`,
    variables: fc.record({ id: mostly(idArb), expectedVersion: intArb, force: boolArb }, { requiredKeys: [] }),
  },
  {
    name: 'deleteThread',
    query: `mutation($id: ID!, $permanent: Boolean, $expectedVersion: Int) { deleteThread(id: $id, permanent: $permanent, expectedVersion: $expectedVersion) { ${ERR} ... on DeleteThreadSuccess { id deletedMessageCount } } }`,
    variables: fc.record({ id: mostly(idArb), permanent: boolArb, expectedVersion: intArb }, { requiredKeys: [] }),
  },
  {
    name: 'deleteStream',
    query: `mutation($id: ID!, $expectedVersion: Int) { deleteStream(id: $id, expectedVersion: $expectedVersion) { ${ERR} ... on DeleteStreamSuccess { streamId deletedEventCount } } }`,
    variables: fc.record({ id: mostly(idArb), expectedVersion: intArb }, { requiredKeys: [] }),
  },
  {
    name: 'deleteMessages',
    query: `mutation($flowId: ID!, $filter: MessageFilter, $hardDelete: Boolean) { deleteMessages(flowId: $flowId, filter: $filter, hardDelete: $hardDelete) { ${ERR} ... on DeleteMessagesSuccess { affected erasedEventCount } } }`,
    variables: fc.record({ flowId: mostly(idArb), filter: filterArb, hardDelete: boolArb }, { requiredKeys: [] }),
  },
];

const SUBSCRIPTIONS: { name: string; query: string; variables: fc.Arbitrary<Record<string, unknown>> }[] = [
  {
    name: 'chatEvents',
    query: `subscription($chatId: ID!) { chatEvents(chatId: $chatId) { type chatId threadId messageId streamId at } }`,
    variables: fc.record({ chatId: mostly(idArb) }, { requiredKeys: [] }),
  },
  {
    name: 'streamEvents',
    query: `subscription($id: ID!, $afterSeq: Int) { streamEvents(id: $id, afterSeq: $afterSeq) { streamId seq type data at } }`,
    variables: fc.record({ id: mostly(idArb), afterSeq: intArb }, { requiredKeys: [] }),
  },
];

const FIELD_NAMES = [
  'messages', 'thread', 'deletedThreads', 'chat', 'chats', 'flow', 'flows', 'stream', 'auditLog', '_entities', '_service', 'sdl',
  'postMessage', 'createThread', 'restoreThread', 'createChat', 'createFlow', 'startStream', 'cancelStream', 'deleteChat',
  'deleteThread', 'deleteStream', 'deleteMessages', 'chatEvents', 'streamEvents', 'edges', 'node', 'id', 'content', 'title',
  'threads', 'events', '__typename', '__schema', '__type', 'types', 'fields', 'name', 'ofType',
];
const TOKENS = [
  '{', '}', '(', ')', '[', ']', ':', '...', '=', '|', '&', '!', 'on', 'query', 'mutation', 'subscription', 'fragment', 'F', 'on Query',
  '$id', '$x', 'ID!', 'String', 'Int', '[ID!]!', '@include(if: true)', '@skip(if: $x)', '@deprecated', '@defer', '@stream(initialCount: 1)',
  '@specifiedBy(url: "x")', '"str"', '"""block"""', '"\\u0000"', '"\\uD800"', '1', '-0', '1.5e308', 'true', 'null', 'a:', 'b:',
  'id: "x"', 'first: -1', 'first: 99999999999', 'input: {}', '#comment\n', ',', '\n', '\u00A0', '\u200B', '\uFEFF',
  ...FIELD_NAMES,
];
const VALID_DOCS = [...OPERATIONS, ...SUBSCRIPTIONS].map((o) => o.query);

/** Random text in the shape of GraphQL: token soup, mutilated valid documents, plain garbage. */
const documentArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }).map((tokens) => tokens.join(' ')) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...VALID_DOCS), fc.array(fc.tuple(fc.nat(), fc.nat(40), fc.oneof(fc.constantFrom(...TOKENS), nastyString)), { minLength: 1, maxLength: 5 }))
      .map(([doc, edits]) =>
        edits.reduce((d, [at, cut, insert]) => {
          const i = at % (d.length + 1);
          return d.slice(0, i) + insert + d.slice(i + cut);
        }, doc),
      ),
  },
  { weight: 2, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
);

/** Operations that cost the server: deep, wide, repeated, cyclic. */
const abuseArb: fc.Arbitrary<{ name: string; query: string; variables?: unknown }> = fc.oneof(
  fc.integer({ min: 2, max: 600 }).map((n) => ({
    name: `depth ${n}`,
    query: `query($id: ID!) { ${'thread(id: $id) { chat { threads { edges { node { '.repeat(n)}id${' } } } } }'.repeat(n)} }`,
    variables: { id: pool.a[2] },
  })),
  fc.integer({ min: 10, max: 20_000 }).map((n) => ({ name: `nesting ${n}`, query: `{ ${'a { '.repeat(n)}b${' }'.repeat(n)} }` })),
  fc.integer({ min: 10, max: 5000 }).map((n) => ({ name: `aliases ${n}`, query: `{ ${Array.from({ length: n }, (_, i) => `a${i}: flows(first: 100) { edges { node { id } } }`).join(' ')} }` })),
  fc.integer({ min: 10, max: 3000 }).map((n) => ({
    name: `conflicting fields ${n}`,
    query: `{ ${Array.from({ length: n }, (_, i) => `chat(id: "${i}") { id }`).join(' ')} }`,
  })),
  fc.integer({ min: 10, max: 5000 }).map((n) => ({ name: `directives ${n}`, query: `{ __typename ${'@include(if: true) '.repeat(n)} }` })),
  fc.integer({ min: 10, max: 50_000 }).map((n) => ({ name: `tokens ${n}`, query: `{ __typename ${'__typename '.repeat(n)} }` })),
  fc.integer({ min: 2, max: 2000 }).map((n) => ({
    name: `fragment chain ${n}`,
    query: `{ ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { a${i}: __typename ${i + 1 < n ? `...F${i + 1}` : 'flows { edges { node { id } } }'} }`).join(' ')}`,
  })),
  fc.constant({ name: 'fragment cycle', query: `{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }` }),
  fc.integer({ min: 10, max: 3000 }).map((n) => ({ name: `operations ${n}`, query: Array.from({ length: n }, (_, i) => `query Q${i} { __typename }`).join('\n') })),
  fc.integer({ min: 100, max: 5000 }).map((n) => ({
    name: `variables ${n}`,
    query: `query(${Array.from({ length: n }, (_, i) => `$v${i}: ID`).join(', ')}) { __typename }`,
    variables: Object.fromEntries(Array.from({ length: n }, (_, i) => [`v${i}`, 'x'])),
  })),
  fc.constant({
    name: 'introspection',
    query: `{ __schema { types { name fields { name args { name type { name ofType { name ofType { name ofType { name } } } } } } } } }`,
  }),
  fc.integer({ min: 1, max: 200 }).map((n) => ({ name: `huge list variable ${n}k`, query: `query($reps: [_Any!]!) { _entities(representations: $reps) { __typename } }`, variables: { reps: Array.from({ length: n * 1000 }, () => ({ __typename: 'Chat', id: pool.b[0] })) } })),
);

// ------------------------------------------------------------------ sending and checking

const STACK_OR_INTERNALS = /\n\s+at .+:\d+:\d+|SQLITE_|sqlite3?_|better-sqlite|node_modules|\/work\/main|kysely|\bpg_catalog\b|syntax error at or near/i;

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Whether an empty non-JSON answer is acceptable (no route or handler exists for the request). */
  mayBeEmpty?: boolean;
}

const describeReq = (r: Sent) =>
  JSON.stringify({
    method: r.method,
    url: r.url.slice(0, 300),
    headers: r.headers,
    body: typeof r.body === 'string' ? r.body.slice(0, 500) : r.body ? `<${r.body.length} bytes>` : undefined,
  });

/** A request the server mishandled: recorded, and the run goes on to find the other kinds. */
class FuzzFailure extends Error {
  constructor(
    readonly why: string,
    readonly req: Sent,
    readonly detail: string,
  ) {
    super(why);
  }
}

function fail(req: Sent, why: string, detail = ''): never {
  throw new FuzzFailure(why, req, detail.slice(0, 1500));
}

/** Distinct failures of one property: kind (what went wrong, and where) → count and the first example. */
type Failures = Map<string, { count: number; example: string }>;

/**
 * Runs one fuzz case; a mishandled request is recorded under its kind instead of ending
 * the property, so one run lists every kind of failure (each with a replayable request).
 */
async function fuzzCase(failures: Failures, label: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!(error instanceof FuzzFailure)) throw error;
    const kind = `${label}: ${error.why.split('\n')[0]}`;
    const seen = failures.get(kind);
    if (seen) seen.count++;
    else failures.set(kind, { count: 1, example: `request: ${describeReq(error.req)}\nanswer: ${error.detail}` });
  }
}

/** The failures as a list to compare with [] (an empty list passes; each entry says what and how often, with an example). */
function report(failures: Failures): string[] {
  return [...failures].map(([kind, { count, example }]) => `${kind} (×${count})\n${example}`);
}

function checkText(req: Sent, text: string) {
  if (text.includes(B_SECRET)) fail(req, "tenant B's content in an answer to tenant A", text);
  if (STACK_OR_INTERNALS.test(text)) fail(req, 'internals (stack, SQL, paths) in an answer', text);
}

function checkGraphqlBody(req: Sent, body: any, text: string) {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('data' in body || 'errors' in body)) {
    fail(req, 'not a GraphQL response', text);
  }
  for (const error of body.errors ?? []) {
    if (typeof error?.message !== 'string') fail(req, 'a GraphQL error without a message', text);
    if (error.message === 'Unexpected error.' || error.extensions?.code === 'INTERNAL_SERVER_ERROR') {
      fail(req, 'an unexpected (masked) server error for input the server could reject', text);
    }
  }
}

/** Reads a streamed body for a while (a live subscription never ends by itself), then lets go. */
async function readStream(response: Response, controller: AbortController, ms: number): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  // The client goes away, as clients do: abort the request and drop the body.
  const deadline = setTimeout(() => {
    controller.abort();
    reader.cancel().catch(() => {});
  }, ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // cancelled
  } finally {
    clearTimeout(deadline);
    reader.cancel().catch(() => {});
  }
  return text;
}

/** The JSON payloads of an event stream (`data:` lines) or of a multipart/mixed body (each part's body). */
function streamedPayloads(req: Sent, contentType: string, text: string): { raw: string; isNext: boolean }[] {
  if (contentType.startsWith('text/event-stream')) {
    return text
      .split(/\r?\n\r?\n/)
      .map((block) => ({
        raw: block
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('\n'),
        isNext: /^event: next$/m.test(block),
      }))
      .filter((p) => p.raw !== '');
  }
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) fail(req, `multipart answer without a boundary (${contentType})`, text);
  return text
    .split(`--${boundary}`)
    .map((part) => part.split(/\r?\n\r?\n/).slice(1).join('\n\n').trim())
    .filter((body) => body !== '' && body !== '--')
    .map((raw) => ({ raw, isNext: true }));
}

async function send(req: Sent, { graphql, streamMs = 150 }: { graphql: boolean; streamMs?: number }): Promise<{ status: number; body?: any }> {
  stats.requests++;
  recent.push(describeReq(req).slice(0, 1200));
  if (recent.length > 3) recent.shift();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('timeout')), REQUEST_TIMEOUT_MS);
  let response: Response;
  try {
    response = await t.app.gateway.fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: controller.signal });
  } catch (error) {
    fail(req, `the request failed: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  const status = response.status;
  const contentType = response.headers.get('content-type') ?? '';
  stats.byStatus.set(String(status), (stats.byStatus.get(String(status)) ?? 0) + 1);
  if (status >= 500) fail(req, `HTTP ${status}`, await response.text().catch(() => ''));
  if (contentType.startsWith('text/event-stream') || contentType.startsWith('multipart/mixed')) {
    const text = await readStream(response, controller, streamMs);
    checkText(req, text);
    for (const payload of streamedPayloads(req, contentType, text)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(payload.raw);
      } catch {
        fail(req, `a streamed (${contentType.split(';')[0]}) payload that is not JSON`, payload.raw);
      }
      if (graphql && payload.isNext) checkGraphqlBody(req, parsed, payload.raw);
    }
    return { status };
  }
  const text = await response.text();
  checkText(req, text);
  if (contentType.startsWith('application/x-ndjson')) {
    for (const line of text.split('\n').filter((l) => l !== '')) {
      try {
        JSON.parse(line);
      } catch {
        fail(req, 'an NDJSON line that is not JSON', line);
      }
    }
    return { status };
  }
  if (text === '') {
    const emptyOk = status === 204 || req.method === 'HEAD' || req.method === 'OPTIONS' || (req.mayBeEmpty && [404, 405, 406, 415].includes(status));
    if (!emptyOk) fail(req, `HTTP ${status} with an empty body`);
    const k = `${req.method} ${status}`;
    stats.emptyNonJson.set(k, (stats.emptyNonJson.get(k) ?? 0) + 1);
    return { status };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    fail(req, `HTTP ${status} (${contentType}) with a body that is not JSON`, text);
  }
  if (!contentType.includes('json')) fail(req, `a JSON body served as ${contentType || 'no content type'}`, text);
  if (graphql) checkGraphqlBody(req, body, text);
  return { status, body };
}

const keyArb = fc.nat().map((i) => pool.aKeys[i % pool.aKeys.length]!);
const GRAPHQL = 'http://gateway.test/graphql';

function graphqlPost(query: unknown, variables: unknown, key: string, extra: Record<string, string> = {}): Sent {
  return {
    method: 'POST',
    url: GRAPHQL,
    headers: { 'content-type': 'application/json', 'x-api-key': key, ...extra },
    body: JSON.stringify({ query, variables }),
  };
}

let replenishCounter = 0;
/** Keeps a supply of A's resources for the fuzz to hit (its deletes use them up). */
async function replenishA() {
  replenishCounter++;
  const flowId = await createFlow(t, `A flow ${replenishCounter}`);
  const chatId = await createChat(t, flowId, `A chat ${replenishCounter}`);
  const threadId = await createThread(t, chatId, 'A thread');
  const messageId = await postMessage(t, threadId, { content: 'A message', sessionId: 's1', feedback: 'THUMBS_DOWN', role: 'ASSISTANT' });
  pool.a.push(flowId, chatId, threadId, messageId);
}

/** Waits until A has no stream QUEUED or RUNNING (a stream deleteMessages collides with is a 409, fine, but they load the DB). */
async function settleStreams() {
  for (let i = 0; i < 500; i++) {
    const row = await t.app.deps.store.db
      .selectFrom('streams')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['QUEUED', 'RUNNING'])
      .executeTakeFirstOrThrow();
    if (Number(row.n) === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const SEED_USED = SEED ?? Math.floor(Math.random() * 2 ** 31);
/** What B itself reads of its data, over the real port. */
async function readB(): Promise<unknown> {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': t.keys.b },
    body: JSON.stringify({
      query: `query($id: ID!) { chat(id: $id) { title version messageCount threads(first: 10) { edges { node { id messages(first: 10) { edges { node { id content } } } } } } }
        deletedThreads(first: 10) { edges { node { id title } } } auditLog(first: 10) { edges { node { id action targetId } } } }`,
      variables: { id: pool.b[1] },
    }),
  });
  return response.json();
}

/** fc.assert's parameters; `examples` (cases found before, run first on every run) are checked by fast-check against the property's arity. */
const params = (n: number, examples: any[] = []) => ({ numRuns: runs(n), seed: SEED_USED, examples });

// ------------------------------------------------------------------ setup

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  t = await startTestServer({ tokenIntervalMs: 1 });
  const db = t.app.deps.store.db;
  const now = t.clock.now().toISOString();
  // A's keys: full, read-only, write-only, delete-only, read+delete.
  const perms: Permission[][] = [['read', 'write', 'delete'], ['read'], ['write'], ['delete'], ['read', 'delete']];
  pool.aKeys.push(t.keys.a, t.keys.a, t.keys.a);
  for (const [i, permissions] of perms.entries()) pool.aKeys.push((await createApiKey(db, { tenant: 'tenant-a', name: `fuzz-${i}`, permissions }, now)).key);

  // Tenant B: a row in every table that carries tenant_id, each with B's secret marker.
  const bk = t.keys.b;
  const bFlow = await createFlow(t, `${B_SECRET} flow`, bk);
  const bChat = await createChat(t, bFlow, `${B_SECRET} chat`, bk);
  const bThread = await createThread(t, bChat, `${B_SECRET} thread`, bk);
  const bMessages = [
    await postMessage(t, bThread, { content: `${B_SECRET} question`, sessionId: 's1', memoryType: 'buffer' }, bk),
    await postMessage(t, bThread, { role: 'ASSISTANT', content: `${B_SECRET} answer`, feedback: 'THUMBS_DOWN', chatType: 'EXTERNAL' }, bk),
  ];
  const bChat2 = await createChat(t, bFlow, `${B_SECRET} second chat`, bk);
  const bSoft = await createThread(t, bChat2, `${B_SECRET} soft`, bk);
  await postMessage(t, bSoft, { content: `${B_SECRET} soft content` }, bk);
  const bGone = await createThread(t, bChat2, `${B_SECRET} gone`, bk);
  const soft = await t.gql(`mutation($id: ID!) { deleteThread(id: $id) { __typename } }`, { id: bSoft }, { key: bk });
  expect(soft.body.data.deleteThread.__typename).toBe('DeleteThreadSuccess');
  const gone = await t.gql(`mutation($id: ID!) { deleteThread(id: $id, permanent: true) { __typename } }`, { id: bGone }, { key: bk, headers: { 'idempotency-key': 'b-key-1' } });
  expect(gone.body.data.deleteThread.__typename).toBe('DeleteThreadSuccess');
  const started = await t.gql(
    `mutation($i: StartStreamInput!) { startStream(input: $i) { ... on StartStreamSuccess { stream { id } } } }`,
    { i: { threadId: bThread, prompt: `${B_SECRET} one two three` } },
    { key: bk },
  );
  const bStream: string = started.body.data.startStream.stream.id;
  await settleStreams();
  const bList = await t.gql(`{ chats(first: 5) { edges { cursor } } threads: deletedThreads(first: 5) { edges { cursor } } }`, {}, { key: bk });
  pool.bCursors.push(...bList.body.data.chats.edges.map((e: any) => e.cursor), ...bList.body.data.threads.edges.map((e: any) => e.cursor));
  pool.b.push(bFlow, bChat, bThread, ...bMessages, bChat2, bSoft, bGone, bStream);

  // Tenant A: something to hit (and to delete).
  for (let i = 0; i < 3; i++) await replenishA();
  const aStream = await t.gql(
    `mutation($i: StartStreamInput!) { startStream(input: $i) { ... on StartStreamSuccess { stream { id } } } }`,
    { i: { threadId: pool.a[2], prompt: 'a b c' } },
  );
  pool.a.push(aStream.body.data.startStream.stream.id);
  await settleStreams();

  bView = await readB();
  bTenant = await tenantIdOf(db, 'tenant-b');
  bBefore = await tenantDump(db, t.engine, bTenant);
  for (const table of ['api_keys', 'flows', 'chats', 'threads', 'messages', 'streams', 'stream_events', 'audit_log', 'idempotency_keys']) {
    expect(bBefore.counts[table], `B has rows in ${table}`).toBeGreaterThan(0);
  }
}, 60_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  console.log(
    `fuzz (seed ${SEED_USED}, FUZZ_SEED=${SEED_USED} replays it): ${stats.requests} requests; statuses ${JSON.stringify(Object.fromEntries([...stats.byStatus].sort()))}; ` +
      `empty non-JSON answers ${JSON.stringify(Object.fromEntries(stats.emptyNonJson))}`,
  );
  await t?.close();
});

// ------------------------------------------------------------------ properties

describe('fuzz: the server rejects what it cannot use, never crashes, never touches another tenant', () => {
  it('the operations the fuzz sends are valid documents of the schema (else it would fuzz nothing but the validator)', () => {
    const problems = [...OPERATIONS, ...SUBSCRIPTIONS].flatMap((op) => validate(schema, parse(op.query)).map((e) => `${op.name}: ${e.message}`));
    expect(problems).toEqual([]);
  });

  it('random text as the GraphQL document (garbage, token soup, mutilated operations)', async () => {
    const failures: Failures = new Map();
    await fc.assert(
      fc.asyncProperty(documentArb, fc.option(anyValue, { nil: undefined }), keyArb, async (query, variables, key) => {
        await fuzzCase(failures, 'document', () => send(graphqlPost(query, variables, key), { graphql: true }).then(() => {}));
      }),
      params(1500),
    );
    expect(report(failures)).toEqual([]);
  }, 120_000);

  it('every Query and Mutation with random variables (bad ids, B’s ids, huge strings, odd unicode, wrong types, SQL-like text)', async () => {
    const failures: Failures = new Map();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...OPERATIONS).chain((op) => fc.tuple(fc.constant(op), op.variables)),
        keyArb,
        fc.constantFrom('application/json', 'application/graphql-response+json', '*/*'),
        async ([op, variables], key, accept) => {
          if (++n % 300 === 0) await replenishA();
          await fuzzCase(failures, op.name, () => send(graphqlPost(op.query, variables, key, { accept }), { graphql: true }).then(() => {}));
        },
      ),
      params(4500, [
        // Found by this fuzz: malformed federation representations (each was an "Unexpected
        // error"; the first two also left a rejected promise no one awaited, which ends the
        // real server process).
        ...[
          [{ __typename: 'Flow', id: { a: 1 } }, 'not an object'],
          [{ __typename: 'Chat', id: ['x'] }, { __typename: 'NoSuchType', id: 'x' }],
          [{ __typename: 'Thread', id: true }],
          [{ id: 'x' }],
          [{ __typename: 'Flow' }],
        ].map((reps): [[(typeof OPERATIONS)[number], Record<string, unknown>], string, string] => [
          [OPERATIONS.find((o) => o.name === '_entities')!, { reps }],
          t.keys.a,
          'application/json',
        ]),
        // Found by this fuzz on PostgreSQL: text with NUL (U+0000), which PostgreSQL's text
        // type cannot hold, in an id of a read and in written content ("Unexpected error").
        ...(
          [
            ['thread', { id: 'a\u0000b' }],
            ['chat', { id: pool.b[1]! + '\u0000' }],
            ['postMessage', { input: { threadId: pool.a[2], role: 'USER', content: 'NUL \u0000 inside' } }],
            ['createFlow', { input: { name: 'NUL \u0000', type: 'CHATFLOW' } }],
          ] as const
        ).map(([name, variables]): [[(typeof OPERATIONS)[number], Record<string, unknown>], string, string] => [
          [OPERATIONS.find((o) => o.name === name)!, variables],
          t.keys.a,
          'application/json',
        ]),
      ]),
    );
    expect(report(failures)).toEqual([]);
  }, 180_000);

  it('both subscriptions over SSE with random variables', async () => {
    const failures: Failures = new Map();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SUBSCRIPTIONS).chain((op) => fc.tuple(fc.constant(op), op.variables)),
        keyArb,
        async ([op, variables], key) => {
          await fuzzCase(failures, op.name, () =>
            send(graphqlPost(op.query, variables, key, { accept: 'text/event-stream' }), { graphql: true, streamMs: 60 }).then(() => {}),
          );
        },
      ),
      params(400),
    );
    expect(report(failures)).toEqual([]);
  }, 60_000);

  it('malformed HTTP on /graphql: methods, content types, accept headers, bodies, query strings, batches', async () => {
    const failures: Failures = new Map();
    const body = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 200 }),
      jsonish.map((v) => JSON.stringify(v)),
      fc.record({ query: fc.oneof(documentArb, anyValue), variables: anyValue, operationName: anyValue, extensions: anyValue }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.array(fc.record({ query: fc.constantFrom('{ __typename }', '{ flows { edges { node { id } } } }') }), { maxLength: 5 }).map((v) => JSON.stringify(v)),
      fc.constantFrom('', '{', 'null', '[]', '"x"', '{"query":"{ __typename }"', '{"query":"{ __typename }","variables":"{"}', '\uFEFF{"query":"{ __typename }"}'),
    );
    const query = fc
      .record({ query: fc.oneof(documentArb, fc.constantFrom('{ __typename }', 'mutation { createFlow(input: {name: "x", type: CHATFLOW}) { __typename } }')), variables: fc.oneof(nastyString, anyValue.map((v) => JSON.stringify(v) ?? '')), operationName: nastyString, extensions: nastyString }, { requiredKeys: [] })
      .map((q) => new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)])).toString());
    const headerValue = fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/graphql-response+json', 'application/graphql', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'garbage/;;;'),
        fc.constantFrom('application/json', 'application/graphql-response+json', '*/*', 'text/event-stream', 'multipart/mixed', 'application/xml', ''),
        body,
        query,
        fc.record({ 'idempotency-key': headerValue, 'x-request-id': headerValue, 'x-graphql-yoga-csrf': headerValue }, { requiredKeys: [] }),
        keyArb,
        fc.constantFrom<'x-api-key' | 'bearer' | 'both' | 'wrong'>('x-api-key', 'x-api-key', 'bearer', 'both', 'wrong'),
        fc.boolean(),
        async (method, contentType, accept, payload, qs, extra, key, auth, withQueryString) => {
          const headers: Record<string, string> = { ...extra };
          if (contentType) headers['content-type'] = contentType;
          if (accept) headers.accept = accept;
          if (auth === 'x-api-key' || auth === 'both') headers['x-api-key'] = key;
          if (auth === 'bearer' || auth === 'both') headers.authorization = `Bearer ${key}`;
          if (auth === 'wrong') headers['x-api-key'] = `${key}x`;
          const hasBody = !['GET', 'HEAD'].includes(method);
          await fuzzCase(failures, `${method} /graphql`, () =>
            send(
              { method, url: `${GRAPHQL}${method === 'GET' || withQueryString ? `?${qs}` : ''}`, headers, body: hasBody ? payload : undefined, mayBeEmpty: true },
              { graphql: true, streamMs: 60 },
            ).then(() => {}),
          );
        },
      ),
      params(1500, [
        // Found by this fuzz: GET with a `variables` or `extensions` parameter that is not JSON (500).
        ['GET', 'application/json', 'application/json', '', 'query=%7B__typename%7D&variables=abc', {}, t.keys.a, 'x-api-key', true],
        ['GET', 'application/json', 'application/json', '', 'query=%7B__typename%7D&extensions=%7B', {}, t.keys.a, 'x-api-key', true],
      ]),
    );
    expect(report(failures)).toEqual([]);
  }, 120_000);

  it('every REST route with random path parameters, query strings, headers and bodies', async () => {
    const failures: Failures = new Map();
    const ROUTES: { method: string; path: string; query: string[]; body?: boolean }[] = [
      { method: 'POST', path: '/v1/messages/async', query: [], body: true },
      { method: 'GET', path: '/v1/messages/async/{id}/events', query: ['after_seq'] },
      { method: 'GET', path: '/v1/messages/async/{id}/status', query: [] },
      { method: 'POST', path: '/v1/messages/async/{id}/cancel', query: [] },
      { method: 'DELETE', path: '/v1/messages/async/{id}/delete', query: [] },
      { method: 'GET', path: '/api/v1/chats/{id}', query: ['force'] },
      { method: 'DELETE', path: '/api/v1/chats/{id}', query: ['force'] },
      { method: 'GET', path: '/api/v1/chats/{id}/export', query: ['force'] },
      { method: 'DELETE', path: '/api/chat/threads/{id}', query: ['permanent', 'expectedVersion'] },
      {
        method: 'DELETE',
        path: '/api/v1/chatmessage/{id}',
        query: ['chatId', 'threadId', 'sessionId', 'memoryType', 'chatType', 'feedbackType', 'startDate', 'endDate', 'hardDelete', 'isClearFromViewMessageDialog'],
      },
      { method: 'DELETE', path: '/api/v1/chatmessage', query: ['chatId', 'hardDelete'] },
      { method: 'DELETE', path: '/threads/{id}', query: ['api-version', 'permanent'] },
      { method: 'GET', path: '/openapi.json', query: [] },
    ];
    const patterns = ROUTES.map((r) => new RegExp(`^${r.path.replace('{id}', '[^/]*')}/?$`));
    /** Percent-encodes the UTF-8 bytes of a string (lone surrogates become U+FFFD, as in a URL). */
    const encode = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');
    const segment = fc.oneof(
      { weight: 5, arbitrary: idArb.map(encode) },
      { weight: 1, arbitrary: fc.constantFrom('%', '%Z', '%FF', '%C0%AF', '%ED%A0%80', '%00', '%2F', '%2e%2e', '..', '.', ';', '*', '%20', '') },
    );
    const value = fc.oneof(
      fc.constantFrom('true', 'false', '1', '0', 'maybe', 'TRUE', 'v1', 'v2', 'INTERNAL', 'EXTERNAL', 'THUMBS_UP', 'THUMBS_DOWN', 'INTERNAL,EXTERNAL', '["INTERNAL"]', '[1]', '[', '2024-01-01', '2024-02-30', '-1', '1.5', '1e3', ''),
      nastyString,
      idArb,
    );
    const queryString = (names: string[]) =>
      fc.oneof(
        fc
          .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: names.length ? fc.constantFrom(...names) : fc.constant('x') }, { weight: 1, arbitrary: nastyString }), value), { maxLength: 6 })
          .map((pairs) => new URLSearchParams(pairs).toString()),
        fc.constantFrom('%', '&&&=', '=&=', '%E0%A4%A', 'a=%FF', 'hardDelete=%00', 'api-version=v1&api-version=v2', 'chatType=%5B%22INTERNAL%22'),
      );
    const bodyArb = fc.oneof(
      fc.record({ thread_id: mostly(idArb), prompt: mostly(nastyString) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      jsonish.map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 100 }),
      fc.constantFrom('', '{', 'null'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(ROUTES.length - 1).chain((i) =>
          fc.record({
            route: fc.constant(ROUTES[i]!),
            wrongMethod: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') }),
            segment,
            qs: queryString(ROUTES[i]!.query),
            body: bodyArb,
            contentType: fc.constantFrom('application/json', 'text/plain', '', 'application/x-www-form-urlencoded'),
            idempotencyKey: fc.option(fc.constantFrom('k1', 'k2', 'k3', ' ', 'ключ', 'x'.repeat(300)), { nil: undefined }),
            lastEventId: fc.option(fc.oneof(fc.constantFrom('-1', '1.5', 'abc', '99999999999999999999', '0'), fc.nat().map(String)), { nil: undefined }),
          }),
        ),
        keyArb,
        fc.boolean(),
        async (r, key, bearer) => {
          const method = r.wrongMethod ?? r.route.method;
          const url = `http://gateway.test${r.route.path.replace('{id}', r.segment)}${r.qs ? `?${r.qs}` : ''}`;
          const headers: Record<string, string> = bearer ? { authorization: `Bearer ${key}` } : { 'x-api-key': key };
          if (r.contentType) headers['content-type'] = r.contentType;
          if (r.idempotencyKey) headers['idempotency-key'] = /^[\x20-\x7e]*$/.test(r.idempotencyKey) ? r.idempotencyKey : encodeURIComponent(r.idempotencyKey);
          if (r.lastEventId) headers['last-event-id'] = r.lastEventId;
          let pathname: string;
          try {
            pathname = new URL(url).pathname;
          } catch {
            pathname = '';
          }
          const routed = patterns.some((p) => p.test(pathname));
          const hasBody = !['GET', 'HEAD'].includes(method);
          await fuzzCase(failures, `${method} ${r.route.path}`, () =>
            send({ method, url, headers, body: hasBody ? r.body : undefined, mayBeEmpty: !routed || r.route.path === '/openapi.json' }, { graphql: false, streamMs: 60 }).then(() => {}),
          );
        },
      ),
      params(3000, [
        // Found by this fuzz on PostgreSQL: a NUL in a query value (500 "Error clearing chat messages").
        [
          { route: ROUTES[9]!, wrongMethod: undefined, segment: pool.a[0]!, qs: 'sessionId=a%00b', body: '', contentType: '', idempotencyKey: undefined, lastEventId: undefined },
          t.keys.a,
          false,
        ],
      ]),
    );
    expect(report(failures)).toEqual([]);
  }, 180_000);

  it('abusive operations (deep, wide, many aliases, directives, tokens, fragments, variables) are refused or answered quickly', async () => {
    const failures: Failures = new Map();
    await fc.assert(
      fc.asyncProperty(abuseArb, keyArb, async (op, key) => {
        await fuzzCase(failures, op.name.replace(/ \d+.*/, ''), async () => {
          const started = performance.now();
          const req = graphqlPost(op.query, op.variables, key);
          await send(req, { graphql: true });
          const ms = performance.now() - started;
          if (ms > 5000) fail(req, `answered after ${Math.round(ms)} ms`);
        });
      }),
      params(100, [
        // Found by this fuzz: a deeply nested document overflows the parser's stack (500)
        // before graphql-armor's token limit stops it.
        [{ name: 'nesting 6000', query: `{ ${'a { '.repeat(6000)}b${' }'.repeat(6000)} }` }, t.keys.a],
      ]),
    );
    expect(report(failures)).toEqual([]);
  }, 120_000);

  it('garbage on the raw socket (not HTTP, broken HTTP, huge headers, lies about lengths) leaves the server serving', async () => {
    const { hostname, port } = new URL(t.url);
    const raw = (bytes: Uint8Array | string) =>
      new Promise<string>((resolve) => {
        const socket = connect(Number(port), hostname);
        let out = '';
        const done = () => {
          socket.destroy();
          resolve(out);
        };
        socket.setTimeout(1000, done);
        socket.on('data', (d) => (out += d.toString('latin1')));
        socket.on('error', done);
        socket.on('close', done);
        socket.on('connect', () => socket.end(bytes));
      });
    const key = t.keys.a;
    const crafted = fc.constantFrom(
      'GARBAGE\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      `POST /graphql HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\ncontent-type: application/json\r\ncontent-length: 99999999\r\n\r\n{"query":`,
      `POST /graphql HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\n{"query":"{ __typename }"}`,
      `POST /graphql HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\nxx\r\n0\r\n\r\n`,
      `POST /graphql HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n5\r\n{"q":\r\n`,
      `GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n`,
      `GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\nx-nul: a\u0000b\r\n\r\n`,
      `GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\n\r\nGET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\n\r\n`,
      `DELETE /api/v1/chats/${'%'.repeat(5000)} HTTP/1.1\r\nHost: x\r\nx-api-key: ${key}\r\n\r\n`,
      `GET /${'a/'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `POST /v1/messages/async HTTP/1.0\r\nx-api-key: ${key}\r\ncontent-type: application/json\r\n\r\n{"thread_id":"x","prompt":"y"}`,
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(crafted, fc.uint8Array({ maxLength: 2000 })), async (bytes) => {
        const answer = await raw(bytes);
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
        if (status && Number(status) >= 500) throw new Error(`raw request answered ${status}: ${answer.slice(0, 300)}`);
        checkText({ method: 'RAW', url: t.url, headers: {} }, answer);
      }),
      params(150),
    );
    const health = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await health.json()).toEqual({ data: { __typename: 'Query' } });
  }, 60_000);

  it('no request left an error unhandled (each would have killed the real server process)', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(crashes).toEqual([]);
  });

  it('afterwards: the server still answers, and tenant B’s rows are exactly as before', async () => {
    await settleStreams();
    const health = await t.gql('{ __typename flows(first: 1) { edges { node { id } } } }');
    expect(health.status).toBe(200);
    expect(health.body.errors).toBeUndefined();
    expect(await readB()).toEqual(bView);
    const after = await tenantDump(t.app.deps.store.db, t.engine, bTenant);
    expect(dumpDiff(bBefore, after)).toEqual({});
    expect(after.checksum).toBe(bBefore.checksum);
    expect(stats.requests).toBeGreaterThan(runs(10_000));
    // The oracle sees a change when there is one: one message more for B, and the checksum moves.
    await postMessage(t, pool.b[2]!, { content: 'one more' }, t.keys.b);
    expect((await tenantDump(t.app.deps.store.db, t.engine, bTenant)).checksum).not.toBe(bBefore.checksum);
  }, 60_000);
});

// The in-process checks above see an unhandled rejection as an event; here is what it means
// for the real server: `chat-gateway serve` in its own process (as test/replicas/processes.ts
// starts it, on a SQLite file of its own) gets the requests found to crash things, then a
// sample of the fuzz, and must still be running and answering afterwards.
describe('fuzz: the real server process survives', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chat-gateway-fuzz-process-'));
  const env = { DATABASE_URL: join(dir, 'fuzz.db'), REDIS_URL: '', RATE_LIMIT_WRITES_PER_MINUTE: '0' };
  let replica: Replica | undefined;
  afterAll(async () => {
    await replica?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the requests that crashed or failed before, then 500 sampled fuzz requests: the process is still up and answering', async () => {
    const key = createKey(env);
    replica = await startReplica(env);
    const entities = OPERATIONS.find((o) => o.name === '_entities')!.query;
    const known: { name: string; init: RequestInit; path?: string }[] = [
      ...[
        [{ __typename: 'Flow', id: { a: 1 } }, 'not an object'],
        [{ __typename: 'Chat', id: ['x'] }, { __typename: 'NoSuchType', id: 'x' }],
        [{ __typename: 'Message', id: true }, {}],
      ].map((reps) => ({ name: `_entities ${JSON.stringify(reps)}`, init: { method: 'POST', body: JSON.stringify({ query: entities, variables: { reps } }) } })),
      { name: 'nesting 6000', init: { method: 'POST', body: JSON.stringify({ query: `{ ${'a { '.repeat(6000)}b${' }'.repeat(6000)} }` }) } },
      { name: 'GET variables=abc', path: '/graphql?query=%7B__typename%7D&variables=abc', init: { method: 'GET' } },
    ];
    const sampled = fc
      .sample(fc.constantFrom(...OPERATIONS).chain((op) => fc.tuple(fc.constant(op), op.variables)), { numRuns: 400, seed: SEED_USED })
      .map(([op, variables]) => ({ name: op.name, init: { method: 'POST', body: JSON.stringify({ query: op.query, variables }) } }));
    const documents = fc
      .sample(documentArb, { numRuns: 100, seed: SEED_USED })
      .map((query) => ({ name: 'document', init: { method: 'POST', body: JSON.stringify({ query }) } }));
    let last = '';
    const requests: { name: string; init: RequestInit; path?: string }[] = [...known, ...sampled, ...documents];
    for (const request of requests) {
      try {
        const response = await fetch(`${replica.url}${request.path ?? '/graphql'}`, {
          ...request.init,
          headers: { 'content-type': 'application/json', 'x-api-key': key },
        });
        await response.arrayBuffer();
      } catch (error) {
        throw new Error(`the server stopped answering at "${request.name}" (the request before: "${last}"): ${(error as Error).message}`);
      }
      expect(replica.process.exitCode, `the server exited after "${request.name}"`).toBeNull();
      last = request.name;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect({ exitCode: replica.process.exitCode, signal: replica.process.signalCode }).toEqual({ exitCode: null, signal: null });
    const health = await fetch(`${replica.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(await health.json()).toEqual({ data: { __typename: 'Query' } });
  }, 90_000);
});

