import { createClient, GatewayError } from './client.js';
import type {
  DeleteChatMutation,
  DeleteMessagesMutation,
  DeleteStreamMutation,
  DeleteThreadMutation,
} from './gql/graphql.js';
import {
  CreateChat,
  CreateFlow,
  CreateThread,
  DeleteChat,
  DeleteMessages,
  DeleteStream,
  DeleteThread,
  PostMessage,
  StartStream,
  StreamStatus,
  ThreadMessageCount,
} from './operations.js';

// A typed client of chat-gateway. It creates data of its own (a flow, a chat, two threads,
// messages and a stream), then calls the four deletes so that every member of their result
// unions comes back once: success, NotFoundError, ConflictError and ValidationError. Each
// result is read through an exhaustive switch on __typename. Exits 1 when any result is
// not the one expected, or the gateway cannot be reached.

const url = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql';
const apiKey = process.env.API_KEY ?? 'cgw_demo_acme_2f6c1d9a';
const execute = createClient({ url, apiKey });

// ---- reading the results: one exhaustive switch per delete ----

type DeleteChatResult = DeleteChatMutation['deleteChat'];
type DeleteThreadResult = DeleteThreadMutation['deleteThread'];
type DeleteStreamResult = DeleteStreamMutation['deleteStream'];
type DeleteMessagesResult = DeleteMessagesMutation['deleteMessages'];

/** Compiles only when every member of the union has its case above it. */
function assertNever(value: never): never {
  throw new Error(`a result this client does not know: ${JSON.stringify(value)}`);
}

type FieldErrors = readonly { path: readonly string[]; message: string }[];
const fieldErrors = (errors: FieldErrors) => errors.map((e) => `${e.path.join('.')}: ${e.message}`).join('; ');

function describeDeleteChat(result: DeleteChatResult): string {
  switch (result.__typename) {
    case 'DeleteChatSuccess':
      return (
        `${result.message}: chat ${result.chatId}, ${result.deletedThreadCount} threads and ` +
        `${result.deletedMessageCount} messages removed, ${result.cancelledStreamCount} streams cancelled, ` +
        `${result.closedConnections} live connections closed (${audit(result.auditEntry)})`
      );
    case 'NotFoundError':
      return `no ${result.resourceType.toLowerCase()} ${result.id}: ${result.message}`;
    case 'ConflictError':
      return result.reason === 'ACTIVE_CONNECTIONS'
        ? `${result.activeConnections} live subscriptions watch the chat; retry with force: true (${result.message})`
        : `${result.reason}: ${result.message} (current version ${result.currentVersion})`;
    case 'ValidationError':
      return `invalid arguments: ${fieldErrors(result.fieldErrors)}`;
    default:
      return assertNever(result);
  }
}

function describeDeleteThread(result: DeleteThreadResult): string {
  switch (result.__typename) {
    case 'DeleteThreadSuccess':
      return (
        `${result.message} (thread ${result.threadId}, ${result.deletedMessageCount} messages, ` +
        `${result.softDelete ? `soft, restorable: ${result.canRestore}` : 'permanent'}, ${audit(result.auditEntry)})`
      );
    case 'NotFoundError':
      return `no ${result.resourceType.toLowerCase()} ${result.id}: ${result.message}`;
    case 'ConflictError':
      return `${result.reason}: ${result.message} (current version ${result.currentVersion})`;
    case 'ValidationError':
      return `invalid arguments: ${fieldErrors(result.fieldErrors)}`;
    default:
      return assertNever(result);
  }
}

/** A dry run records nothing: its answer has no audit entry. */
function audit(entry: { action: string } | null | undefined): string {
  return entry ? `audit ${entry.action}` : 'a dry run: nothing recorded';
}

function describeDeleteStream(result: DeleteStreamResult): string {
  switch (result.__typename) {
    case 'DeleteStreamSuccess':
      return (
        `stream ${result.streamId} deleted (was ${result.previousStatus}${result.cancelled ? ', cancelled first' : ''}), ` +
        `${result.deletedEventCount} cached events removed (${audit(result.auditEntry)})`
      );
    case 'NotFoundError':
      return `no ${result.resourceType.toLowerCase()} ${result.id}: ${result.message}`;
    case 'ConflictError':
      return `${result.reason}: ${result.message} (current version ${result.currentVersion})`;
    case 'ValidationError':
      return `invalid arguments: ${fieldErrors(result.fieldErrors)}`;
    default:
      return assertNever(result);
  }
}

function describeDeleteMessages(result: DeleteMessagesResult): string {
  switch (result.__typename) {
    case 'DeleteMessagesSuccess':
      return (
        `${result.affected} messages ${result.hardDelete ? 'hard-deleted' : 'deleted'}, ` +
        `${result.erasedEventCount} cached stream events erased (${audit(result.auditEntry)})`
      );
    case 'NotFoundError':
      return `no ${result.resourceType.toLowerCase()} ${result.id}: ${result.message}`;
    case 'ConflictError':
      return result.reason === 'ACTIVE_STREAM'
        ? `a running stream writes to these messages; wait for it or cancel it (${result.message})`
        : `${result.reason}: ${result.message}`;
    case 'ValidationError':
      return `invalid arguments: ${fieldErrors(result.fieldErrors)}`;
    default:
      return assertNever(result);
  }
}

// ---- running the steps ----

let failures = 0;

/** Runs one delete, prints what happened and whether it was the expected union member. */
async function step<R extends { __typename: string }>(
  label: string,
  expected: R['__typename'],
  run: () => Promise<R>,
  describe: (result: R) => string,
  check?: (result: R) => string | undefined,
): Promise<R> {
  const result = await run();
  const problem =
    result.__typename !== expected ? `expected ${expected}, got ${result.__typename}` : check?.(result);
  if (problem) failures++;
  console.log(`${problem ? '✘' : '✔'} ${label}\n    → ${result.__typename}: ${describe(result)}`);
  if (problem) console.log(`    UNEXPECTED: ${problem}`);
  return result;
}

/** The success member of a setup mutation's result, or a thrown error naming the failure. */
function unwrap<R extends { __typename: string }, S extends R['__typename']>(
  what: string,
  result: R,
  success: S,
): Extract<R, { __typename: S }> {
  if (result.__typename !== success) {
    const message = 'message' in result ? String(result.message) : '';
    throw new GatewayError(`${what} failed: ${result.__typename} ${message}`);
  }
  return result as Extract<R, { __typename: S }>;
}

async function waitForStream(id: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { stream } = await execute(StreamStatus, { id });
    if (!stream) throw new GatewayError(`stream ${id} vanished while it ran`);
    if (stream.status === 'COMPLETED') return stream;
    if (stream.status === 'CANCELLED' || stream.status === 'FAILED') {
      throw new GatewayError(`stream ${id} ended ${stream.status}, not COMPLETED`);
    }
    if (Date.now() > deadline) throw new GatewayError(`stream ${id} still ${stream.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function main(): Promise<void> {
  console.log(`chat-gateway client example against ${url} (key ${apiKey.slice(0, 12)}…)\n`);

  // Setup: data of the example's own, so that it deletes nothing it did not make.
  const label = `client-example ${new Date().toISOString()}`;
  const { flow } = unwrap(
    'createFlow',
    (await execute(CreateFlow, { input: { name: label, type: 'CHATFLOW' } })).createFlow,
    'CreateFlowSuccess',
  );
  const { chat } = unwrap(
    'createChat',
    (await execute(CreateChat, { input: { flowId: flow.id, title: label } })).createChat,
    'CreateChatSuccess',
  );
  const newThread = async (title: string) =>
    unwrap('createThread', (await execute(CreateThread, { input: { chatId: chat.id, title } })).createThread, 'CreateThreadSuccess')
      .thread;
  const doomed = await newThread('a thread to delete');
  const talk = await newThread('a conversation');
  for (const [role, content] of [
    ['USER', 'What is the refund policy?'],
    ['ASSISTANT', 'Refunds are possible within 30 days.'],
    ['USER', 'Thanks!'],
  ] as const) {
    unwrap(
      'postMessage',
      (await execute(PostMessage, { input: { threadId: talk.id, role, content, sessionId: 'client-example' } })).postMessage,
      'PostMessageSuccess',
    );
  }
  const { stream: started } = unwrap(
    'startStream',
    (await execute(StartStream, { input: { threadId: talk.id, prompt: 'Summarise this conversation.' } })).startStream,
    'StartStreamSuccess',
  );
  const stream = await waitForStream(started.id);
  console.log(
    `setup: flow ${flow.id}, chat ${chat.id}, threads ${doomed.id} and ${talk.id}, ` +
      `stream ${stream.id} ${stream.status} with ${stream.eventCount} events\n`,
  );

  // deleteStream: a COMPLETED stream goes (its assistant message stays); a second time it is gone.
  await step(
    'deleteStream on the completed stream',
    'DeleteStreamSuccess',
    async () => (await execute(DeleteStream, { id: stream.id, expectedVersion: stream.version })).deleteStream,
    describeDeleteStream,
  );
  await step(
    'deleteStream again',
    'NotFoundError',
    async () => (await execute(DeleteStream, { id: stream.id })).deleteStream,
    describeDeleteStream,
  );

  // deleteThread: a stale expectedVersion is a conflict; the current one soft-deletes the thread.
  const conflict = await step(
    'deleteThread with a stale expectedVersion',
    'ConflictError',
    async () => (await execute(DeleteThread, { id: doomed.id, expectedVersion: doomed.version + 1 })).deleteThread,
    describeDeleteThread,
  );
  const currentVersion = conflict.__typename === 'ConflictError' ? conflict.currentVersion : doomed.version;
  await step(
    'deleteThread with the current version',
    'DeleteThreadSuccess',
    async () => (await execute(DeleteThread, { id: doomed.id, expectedVersion: currentVersion })).deleteThread,
    describeDeleteThread,
    (r) => (r.__typename === 'DeleteThreadSuccess' && !r.canRestore ? 'a soft delete should be restorable' : undefined),
  );

  // deleteMessages: an impossible date range is refused; then the conversation's messages go.
  await step(
    'deleteMessages with startDate after endDate',
    'ValidationError',
    async () =>
      (
        await execute(DeleteMessages, {
          flowId: flow.id,
          filter: { threadId: talk.id, startDate: '2030-01-02', endDate: '2030-01-01' },
        })
      ).deleteMessages,
    describeDeleteMessages,
  );
  const before = (await execute(ThreadMessageCount, { id: talk.id })).thread?.messageCount ?? 0;
  await step(
    `deleteMessages of the conversation (hardDelete, ${before} messages)`,
    'DeleteMessagesSuccess',
    async () =>
      (await execute(DeleteMessages, { flowId: flow.id, filter: { threadId: talk.id }, hardDelete: true }))
        .deleteMessages,
    describeDeleteMessages,
    (r) =>
      r.__typename === 'DeleteMessagesSuccess' && r.affected !== before
        ? `affected ${r.affected}, but the thread held ${before}`
        : undefined,
  );

  // deleteChat: the chat goes with its threads (the soft-deleted one too); then it is gone.
  await step(
    'deleteChat',
    'DeleteChatSuccess',
    async () => (await execute(DeleteChat, { id: chat.id })).deleteChat,
    describeDeleteChat,
    (r) => (r.__typename === 'DeleteChatSuccess' && !r.success ? 'success is false' : undefined),
  );
  await step(
    'deleteChat again',
    'NotFoundError',
    async () => (await execute(DeleteChat, { id: chat.id })).deleteChat,
    describeDeleteChat,
  );

  console.log(failures ? `\n${failures} unexpected results` : '\nall results as expected');
  if (failures) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(`\n✘ ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
