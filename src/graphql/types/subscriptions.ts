import { watchChat, watchStream } from '../../domain/watch.ts';
import type { ChatEvent, StreamEvent } from '../../live/events.ts';
import { builder } from '../builder.ts';
import { ChatEventTypeEnum } from './enums.ts';
import { StreamEventRef } from './stream.ts';

const ChatEventRef = builder.objectRef<ChatEvent>('ChatEvent').implement({
  fields: (t) => ({
    type: t.field({ type: ChatEventTypeEnum, resolve: (e) => e.type }),
    chatId: t.exposeID('chatId'),
    threadId: t.exposeID('threadId', { nullable: true }),
    messageId: t.exposeID('messageId', { nullable: true }),
    streamId: t.exposeID('streamId', { nullable: true }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
  }),
});

builder.subscriptionType({
  authScopes: { read: true },
  fields: (t) => ({
    streamEvents: t.field({
      type: StreamEventRef,
      description: 'cached events after afterSeq, then live ones; completes after the terminal event',
      args: { id: t.arg.id({ required: true }), afterSeq: t.arg.int() },
      subscribe: (_root, args, ctx) => watchStream(ctx.deps, ctx.scope, args.id, args.afterSeq ?? 0),
      resolve: (event: StreamEvent) => event,
    }),
    chatEvents: t.field({
      type: ChatEventRef,
      description: 'every change to the chat; each open subscription counts as a live connection',
      args: { chatId: t.arg.id({ required: true }) },
      subscribe: (_root, args, ctx) => watchChat(ctx.deps, ctx.scope, args.chatId),
      resolve: (event: ChatEvent) => event,
    }),
  }),
});
