import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import {
  type Stream,
  cancelStream,
  eventCountsOfStreams,
  getStreams,
  startStream,
  streamEventsAfter,
} from '../../domain/streams.ts';
import type { Message } from '../../domain/messages.ts';
import type { StreamEvent } from '../../live/events.ts';
import { builder } from '../builder.ts';
import { StreamEventTypeEnum, StreamStatusEnum } from './enums.ts';
import { MessageRef, ThreadRef } from './refs.ts';

export const StreamEventRef = builder.objectRef<StreamEvent>('StreamEvent').implement({
  fields: (t) => ({
    streamId: t.exposeID('streamId'),
    seq: t.exposeInt('seq'),
    type: t.field({ type: StreamEventTypeEnum, resolve: (e) => e.type }),
    data: t.exposeString('data', { nullable: true }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
  }),
});

export const StreamRef = builder.loadableObjectRef<Stream, string>('Stream', {
  load: async (ids, ctx) => getStreams(ctx.deps, ctx.scope, ids),
  sort: (stream) => stream.id,
});

StreamRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    thread: t.field({ type: ThreadRef, resolve: (s) => s.threadId }),
    status: t.field({ type: StreamStatusEnum, resolve: (s) => s.status }),
    version: t.exposeInt('version'),
    createdAt: t.field({ type: 'DateTime', resolve: (s) => s.createdAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (s) => s.finishedAt }),
    eventCount: t.loadable({
      type: 'Int',
      load: async (ids: string[], ctx) => {
        const counts = await eventCountsOfStreams(ctx.deps, ids);
        return ids.map((id) => counts.get(id) ?? 0);
      },
      resolve: (s) => s.id,
    }),
    events: t.field({
      type: [StreamEventRef],
      args: { afterSeq: t.arg.int(), first: t.arg.int() },
      resolve: (s, args, ctx) =>
        streamEventsAfter(ctx.deps, s.id, args.afterSeq ?? 0, Math.min(Math.max(args.first ?? 1000, 0), 1000)),
    }),
    message: t.field({
      type: MessageRef,
      nullable: true,
      description: 'the assistant message it produced, once COMPLETED',
      resolve: (s) => s.messageId,
    }),
  }),
});

builder.queryField('stream', (t) =>
  t.field({
    type: StreamRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => (await getStreams(ctx.deps, ctx.scope, [id]))[0],
  }),
);

const StartStreamInput = builder.inputType('StartStreamInput', {
  fields: (t) => ({ threadId: t.id({ required: true }), prompt: t.string({ required: true }) }),
});

const StartStreamSuccess = builder.objectRef<{ stream: Stream; prompt: Message }>('StartStreamSuccess').implement({
  fields: (t) => ({
    stream: t.field({ type: StreamRef, resolve: (r) => r.stream }),
    prompt: t.field({ type: MessageRef, description: 'the USER message holding the prompt', resolve: (r) => r.prompt }),
  }),
});

builder.mutationField('startStream', (t) =>
  t.field({
    authScopes: { write: true },
    type: StartStreamSuccess,
    errors: { types: [NotFoundError, ValidationError], union: { name: 'StartStreamResult' }, directResult: true },
    args: { input: t.arg({ type: StartStreamInput, required: true }) },
    resolve: (_root, { input }, ctx) => startStream(ctx.deps, ctx.scope, input, ctx.tokens),
  }),
);

const CancelStreamSuccess = builder.objectRef<{ stream: Stream; wasActive: boolean }>('CancelStreamSuccess').implement({
  fields: (t) => ({
    stream: t.field({ type: StreamRef, resolve: (r) => r.stream }),
    wasActive: t.exposeBoolean('wasActive', { description: 'false when the stream had already finished' }),
  }),
});

builder.mutationField('cancelStream', (t) =>
  t.field({
    authScopes: { write: true },
    type: CancelStreamSuccess,
    errors: { types: [NotFoundError, ValidationError], union: { name: 'CancelStreamResult' }, directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => cancelStream(ctx.deps, ctx.scope, { id }),
  }),
);
