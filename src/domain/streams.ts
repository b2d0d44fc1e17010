import type { Db } from '../data/db.ts';
import { listMessagesOfThread } from '../data/messages.repository.ts';
import {
  countEventsByStream,
  findLiveStreams,
  insertStream,
  listStreamEvents,
  setStreamMessage,
  streamsInStatus,
  updateStreamIf,
  ACTIVE_STATUSES,
} from '../data/streams.repository.ts';
import type { MessageRow, StreamRow, StreamStatus, ThreadRow } from '../data/tables.ts';
import type { StreamEvent } from '../live/events.ts';
import { isoNow } from './clock.ts';
import type { Deps } from './deps.ts';
import type { Scope } from './scope.ts';
import { NotFoundError } from './errors.ts';
import { newId } from './ids.ts';
import { type Message, appendMessage, messageOf, newMessage } from './messages.ts';
import { appendStreamEvent, cancelInTransaction, transitionStream } from './stream-events.ts';
import { requireThreadRow } from './threads.ts';
import { CONTEXT_MESSAGES, type Generation, type TokenSource } from './token-sources.ts';
import { Checker, LIMITS, isId } from './validation.ts';

export interface Stream {
  id: string;
  chatId: string;
  threadId: string;
  status: StreamStatus;
  version: number;
  promptMessageId: string | null;
  /** The assistant message it produced, once COMPLETED. */
  messageId: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

function streamOf(row: StreamRow): Stream {
  return {
    id: row.id,
    chatId: row.chat_id,
    threadId: row.thread_id,
    status: row.status,
    version: row.version,
    promptMessageId: row.prompt_message_id,
    messageId: row.message_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export async function getStreams(deps: Deps, scope: Scope, ids: readonly string[]): Promise<Stream[]> {
  return (await findLiveStreams(deps.store.db, scope.tenantId, ids.filter(isId))).map(streamOf);
}

export async function requireStream(deps: Deps, scope: Scope, id: string): Promise<Stream> {
  const [stream] = await getStreams(deps, scope, [id]);
  if (!stream) throw new NotFoundError('STREAM', id);
  return stream;
}

export async function streamEventsAfter(deps: Deps, streamId: string, afterSeq: number, limit: number) {
  const rows = await listStreamEvents(deps.store.db, streamId, afterSeq, limit);
  return rows.map((r): StreamEvent => ({ streamId: r.stream_id, seq: r.seq, type: r.type, data: r.data, at: r.at }));
}

export async function eventCountsOfStreams(deps: Deps, streamIds: readonly string[]) {
  return countEventsByStream(deps.store.db, streamIds);
}

export async function startStream(
  deps: Deps,
  scope: Scope,
  input: { threadId: string; prompt: string },
  tokens: TokenSource,
): Promise<{ stream: Stream; prompt: Message }> {
  const check = new Checker();
  const threadId = check.id(['input', 'threadId'], input.threadId);
  const promptText = check.text(['input', 'prompt'], input.prompt, LIMITS.contentLength);
  check.done();
  const thread = await requireThreadRow(deps, scope, threadId);
  const now = isoNow(deps.clock);
  const prompt = newMessage(thread, {
    role: 'USER',
    content: promptText,
    session_id: null,
    memory_type: null,
    chat_type: 'INTERNAL',
    feedback: null,
    created_at: now,
  });
  const stream: StreamRow = {
    id: newId(),
    tenant_id: scope.tenantId,
    chat_id: thread.chat_id,
    thread_id: thread.id,
    status: 'QUEUED',
    version: 1,
    prompt_message_id: prompt.id,
    message_id: null,
    created_at: now,
    started_at: null,
    finished_at: null,
  };
  await deps.store.db.transaction().execute(async (trx) => {
    await appendMessage(trx, prompt, now);
    await insertStream(trx, stream);
  });
  const base = { chatId: thread.chat_id, threadId: thread.id, at: now };
  deps.live.publishChatEvent({ ...base, type: 'MESSAGE_POSTED', messageId: prompt.id, streamId: null });
  deps.live.publishChatEvent({ ...base, type: 'STREAM_STARTED', messageId: null, streamId: stream.id });
  deps.live.runTask(stream.id, (signal) => generate(deps, stream, thread, prompt, tokens, signal));
  return { stream: streamOf(stream), prompt: messageOf(prompt) };
}

/**
 * Runs one stream to its end. Every write checks the stream is still active in the same
 * statement, so once a cancel or delete has committed no further token is written.
 */
async function generate(
  deps: Deps,
  stream: StreamRow,
  thread: ThreadRow,
  prompt: MessageRow,
  tokens: TokenSource,
  signal: AbortSignal,
): Promise<void> {
  const write = async (step: (trx: Db, at: string) => Promise<StreamEvent | undefined>) => {
    const at = isoNow(deps.clock);
    const event = await deps.store.db.transaction().execute((trx) => step(trx, at));
    if (event) deps.live.publishStreamEvents(stream.id, [event]);
    return event;
  };
  const finish = async (status: 'COMPLETED' | 'FAILED', data: string | null, reply?: string) => {
    const event = await write(async (trx, at) => {
      const done = await transitionStream(trx, stream.id, ['RUNNING'], { status, finished_at: at }, { type: status, data, at });
      if (done && reply !== undefined) {
        const message = newMessage(thread, {
          role: 'ASSISTANT',
          content: reply,
          session_id: null,
          memory_type: null,
          chat_type: 'INTERNAL',
          feedback: null,
          created_at: at,
        });
        await appendMessage(trx, message, at);
        await setStreamMessage(trx, stream.id, message.id);
      }
      return done?.event;
    });
    if (event) publishFinished(deps, stream, event.at);
  };

  const started = await write(async (trx, at) => {
    const done = await transitionStream(trx, stream.id, ['QUEUED'], { status: 'RUNNING', started_at: at }, {
      type: 'STARTED',
      data: null,
      at,
    });
    return done?.event;
  });
  if (!started) return;
  let reply = '';
  try {
    for await (const token of tokens(await generationOf(deps, prompt), signal)) {
      reply += token;
      const written = await write(async (trx, at) => {
        const running = await updateStreamIf(trx, stream.id, ['RUNNING'], {});
        return running ? appendStreamEvent(trx, stream.id, 'TOKEN', token, at) : undefined;
      });
      if (!written) return;
    }
  } catch (error) {
    if (!signal.aborted) await finish('FAILED', error instanceof Error ? error.message : 'generation failed');
    return;
  }
  await finish('COMPLETED', null, reply);
}

/** The prompt, and the thread's newest messages before it as the generator's context. */
async function generationOf(deps: Deps, prompt: MessageRow): Promise<Generation> {
  const before = { at: prompt.created_at, id: prompt.id };
  const newestFirst = await listMessagesOfThread(deps.store.db, prompt.thread_id, { before, limit: CONTEXT_MESSAGES, inverted: true });
  return { prompt: prompt.content, history: newestFirst.reverse().map((m) => ({ role: m.role, content: m.content })) };
}

function publishFinished(deps: Deps, stream: StreamRow, at: string): void {
  deps.live.publishChatEvent({
    type: 'STREAM_FINISHED',
    chatId: stream.chat_id,
    threadId: stream.thread_id,
    messageId: null,
    streamId: stream.id,
    at,
  });
}

export async function cancelStream(
  deps: Deps,
  scope: Scope,
  input: { id: string },
): Promise<{ stream: Stream; wasActive: boolean }> {
  const check = new Checker();
  const id = check.id(['id'], input.id);
  check.done();
  const now = isoNow(deps.clock);
  const { stream, event } = await deps.store.db.transaction().execute(async (trx) => {
    const [found] = await findLiveStreams(trx, scope.tenantId, [id], true);
    if (!found) throw new NotFoundError('STREAM', id);
    const cancelled = await cancelInTransaction(trx, id, now);
    const [after] = await findLiveStreams(trx, scope.tenantId, [id]);
    return { stream: after!, event: cancelled };
  });
  if (event) {
    deps.live.cancelTask(id);
    deps.live.publishStreamEvents(id, [event]);
    publishFinished(deps, stream, now);
  }
  return { stream: streamOf(stream), wasActive: event !== undefined };
}

/**
 * Ends every stream still QUEUED or RUNNING whose generator is gone: at shutdown
 * (CANCELLED, after the tasks stopped) and at start-up after a crash (FAILED).
 */
export async function endActiveStreams(deps: Deps, status: 'CANCELLED' | 'FAILED', reason: string): Promise<number> {
  const active = await streamsInStatus(deps.store.db, ACTIVE_STATUSES);
  for (const stream of active) {
    const at = isoNow(deps.clock);
    const done = await deps.store.db.transaction().execute((trx) =>
      transitionStream(trx, stream.id, ACTIVE_STATUSES, { status, finished_at: at }, { type: status, data: reason, at }),
    );
    if (done) {
      deps.live.publishStreamEvents(stream.id, [done.event]);
      publishFinished(deps, stream, at);
    }
  }
  return active.length;
}
