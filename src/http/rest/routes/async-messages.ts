import { deleteStream } from '../../../domain/delete-stream.ts';
import type { Scope } from '../../../domain/scope.ts';
import { cancelStream, eventCountsOfStreams, requireStream, startStream } from '../../../domain/streams.ts';
import { Checker } from '../../../domain/validation.ts';
import { watchStream } from '../../../domain/watch.ts';
import type { Stream } from '../../../domain/streams.ts';
import type { Permission } from '../../../domain/api-keys.ts';
import { scopeOfRequest } from '../../authenticate.ts';
import { fastApiError } from '../fastapi-errors.ts';
import { jsonResponse, pathParam, queryParam } from '../openapi.ts';
import { type Problem, json } from '../problem.ts';
import type { RestContext, RestRoute } from '../route-table.ts';

// Seed 000: the async chat stream API. The stream's id is the seed's message_id.

// startStream names its input as GraphQL does; this seed's body calls it thread_id and prompt.
const BODY_NAMES = { 'input.threadId': 'thread_id', 'input.prompt': 'prompt' };

const fail = (problem: Problem) =>
  fastApiError(problem, (field) => (field === 'message_id' ? 'path' : field === 'after_seq' ? 'query' : 'body'), BODY_NAMES);

async function streamOf(ctx: RestContext, need: Permission): Promise<{ scope: Scope; id: string }> {
  const scope = await scopeOfRequest(ctx.deps, ctx.request, { need });
  const check = new Checker();
  const id = check.id(['message_id'], ctx.params.message_id ?? '');
  check.done();
  return { scope, id };
}

async function statusBody(ctx: RestContext, stream: Stream) {
  const counts = await eventCountsOfStreams(ctx.deps, [stream.id]);
  return {
    message_id: stream.id,
    thread_id: stream.threadId,
    status: stream.status.toLowerCase(),
    version: stream.version,
    event_count: counts.get(stream.id) ?? 0,
    created_at: stream.createdAt,
    started_at: stream.startedAt,
    finished_at: stream.finishedAt,
    response_message_id: stream.messageId,
  };
}

/** Where a reconnecting client resumes: `Last-Event-ID` (the last seq it saw) or `?after_seq=`. */
function resumeAfter(ctx: RestContext, check: Checker): number {
  const raw = ctx.request.headers.get('last-event-id') ?? ctx.url.searchParams.get('after_seq');
  if (raw === null || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    check.fail(['after_seq'], 'must be a non-negative integer (the seq of the last event received)');
    return 0;
  }
  return n;
}

function eventStream(events: AsyncIterableIterator<{ seq: number; type: string }>, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      signal.addEventListener('abort', () => void events.return?.());
      try {
        for await (const event of events) {
          controller.enqueue(encoder.encode(`id: ${event.seq}\nevent: ${event.type.toLowerCase()}\ndata: ${JSON.stringify(event)}\n\n`));
        }
      } finally {
        try {
          controller.close();
        } catch {}
      }
    },
    cancel() {
      void events.return?.();
    },
  });
  return new Response(body, {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' },
  });
}

const messageId = pathParam('message_id', 'Message ID of the asynchronous chat stream');
const common = {
  401: jsonResponse('Unauthorized'),
  404: jsonResponse('Not Found'),
  422: jsonResponse('Unprocessable Entity: a malformed id'),
};
const tags = ['Async messages (seed 000)'];

export const asyncMessageRoutes: RestRoute[] = [
  {
    method: 'POST',
    path: '/v1/messages/async',
    doc: {
      operationId: 'initiateAsyncChatStream',
      summary: 'Initiate an async chat stream (startStream)',
      tags,
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['thread_id', 'prompt'],
              properties: { thread_id: { type: 'string', format: 'uuid' }, prompt: { type: 'string' } },
            },
          },
        },
      },
      responses: { 202: jsonResponse('Accepted: the stream is queued'), ...common },
    },
    fail,
    handle: async (ctx) => {
      const scope = await scopeOfRequest(ctx.deps, ctx.request, { need: 'write' });
      const body = (await ctx.request.json().catch(() => null)) as Record<string, unknown> | null;
      const check = new Checker();
      const threadId = body?.thread_id;
      const prompt = body?.prompt;
      if (typeof threadId !== 'string') check.fail(['thread_id'], 'is required (a string)');
      if (typeof prompt !== 'string') check.fail(['prompt'], 'is required (a string)');
      check.done();
      const { stream, prompt: message } = await startStream(ctx.deps, scope, { threadId: threadId as string, prompt: prompt as string }, ctx.tokens);
      return json(
        {
          message_id: stream.id,
          status: stream.status.toLowerCase(),
          thread_id: stream.threadId,
          prompt_message_id: message.id,
          events_url: `/v1/messages/async/${stream.id}/events`,
          status_url: `/v1/messages/async/${stream.id}/status`,
        },
        202,
      );
    },
  },
  {
    method: 'GET',
    path: '/v1/messages/async/{message_id}/events',
    doc: {
      operationId: 'observeAsyncChatStreamEvents',
      summary: 'Observe an async chat stream as server-sent events (streamEvents)',
      description:
        'Replays the cached events after Last-Event-ID (or after_seq), then follows live ones, and ends after the ' +
        'terminal event. Each event has id = seq, event = its type in lower case, data = the event as JSON.',
      tags,
      parameters: [messageId, queryParam('after_seq', 'Resume after this seq (Last-Event-ID takes precedence)', { type: 'integer' })],
      responses: { 200: { description: 'text/event-stream', content: { 'text/event-stream': {} } }, ...common },
    },
    fail,
    handle: async (ctx) => {
      const { scope, id } = await streamOf(ctx, 'read');
      const check = new Checker();
      const after = resumeAfter(ctx, check);
      check.done();
      return eventStream(await watchStream(ctx.deps, scope, id, after), ctx.request.signal);
    },
  },
  {
    method: 'GET',
    path: '/v1/messages/async/{message_id}/status',
    doc: {
      operationId: 'getAsyncChatStreamStatus',
      summary: 'Get the status of an async chat stream (stream)',
      tags,
      parameters: [messageId],
      responses: { 200: jsonResponse('The stream status'), ...common },
    },
    fail,
    handle: async (ctx) => {
      const { scope, id } = await streamOf(ctx, 'read');
      return json(await statusBody(ctx, await requireStream(ctx.deps, scope, id)));
    },
  },
  {
    method: 'POST',
    path: '/v1/messages/async/{message_id}/cancel',
    doc: {
      operationId: 'cancelAsyncChatStream',
      summary: 'Cancel an async chat stream (cancelStream)',
      tags,
      parameters: [messageId],
      responses: { 200: jsonResponse('The stream after the cancel; was_active is false when it had already finished'), ...common },
    },
    fail,
    handle: async (ctx) => {
      const { scope, id } = await streamOf(ctx, 'write');
      const { stream, wasActive } = await cancelStream(ctx.deps, scope, { id });
      return json({ ...(await statusBody(ctx, stream)), was_active: wasActive });
    },
  },
  {
    method: 'DELETE',
    path: '/v1/messages/async/{message_id}/delete',
    doc: {
      operationId: 'deleteAsyncChatStream',
      summary: 'Delete an async chat stream and its cached events (deleteStream)',
      description: 'Active streams are cancelled first. No body on success.',
      tags,
      parameters: [messageId],
      responses: { 204: { description: 'Deleted' }, ...common, 409: jsonResponse('A legal hold covers the chat of this stream (reason LEGAL_HOLD, hold_ids)') },
    },
    fail,
    handle: async (ctx) => {
      const { scope, id } = await streamOf(ctx, 'delete');
      await deleteStream(ctx.deps, scope, { id });
      return new Response(null, { status: 204 });
    },
  },
];
