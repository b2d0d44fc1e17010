import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { type Message, pageMessagesOfFlow, postMessage } from '../../domain/messages.ts';
import { builder } from '../builder.ts';
import { byCreation, keysetConnection } from '../paging.ts';
import { ChatTypeEnum, FeedbackTypeEnum, MessageRoleEnum } from './enums.ts';
import { MessageFilterInput } from './message-filter.ts';
import { MessageConnection, MessageRef, ThreadRef } from './refs.ts';

MessageRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    thread: t.field({ type: ThreadRef, resolve: (m) => m.threadId }),
    chatId: t.id({ resolve: (m) => m.chatId }),
    role: t.field({ type: MessageRoleEnum, resolve: (m) => m.role }),
    content: t.exposeString('content'),
    sessionId: t.exposeString('sessionId', { nullable: true }),
    memoryType: t.exposeString('memoryType', { nullable: true }),
    chatType: t.field({ type: ChatTypeEnum, resolve: (m) => m.chatType }),
    feedback: t.field({ type: FeedbackTypeEnum, nullable: true, resolve: (m) => m.feedback }),
    createdAt: t.field({ type: 'DateTime', resolve: (m) => m.createdAt }),
  }),
});

builder.queryField('messages', (t) =>
  t.connection(
    {
      type: MessageRef,
      args: { flowId: t.arg.id({ required: true }), filter: t.arg({ type: MessageFilterInput }) },
      resolve: (_root, args, ctx) =>
        keysetConnection(args, byCreation, (page) =>
          pageMessagesOfFlow(ctx.deps, ctx.scope, { flowId: args.flowId, filter: args.filter }, page),
        ),
    },
    MessageConnection,
  ),
);

const PostMessageInput = builder.inputType('PostMessageInput', {
  fields: (t) => ({
    threadId: t.id({ required: true }),
    role: t.field({ type: MessageRoleEnum, required: true }),
    content: t.string({ required: true }),
    sessionId: t.string(),
    memoryType: t.string(),
    chatType: t.field({ type: ChatTypeEnum }),
    feedback: t.field({ type: FeedbackTypeEnum }),
    createdAt: t.field({ type: 'DateTime', description: 'defaults to now; lets importers keep original times' }),
  }),
});

const PostMessageSuccess = builder.objectRef<{ message: Message }>('PostMessageSuccess').implement({
  fields: (t) => ({ message: t.field({ type: MessageRef, resolve: (r) => r.message }) }),
});

builder.mutationField('postMessage', (t) =>
  t.field({
    authScopes: { write: true },
    type: PostMessageSuccess,
    errors: { types: [NotFoundError, ValidationError], union: { name: 'PostMessageResult' }, directResult: true },
    args: { input: t.arg({ type: PostMessageInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ message: await postMessage(ctx.deps, ctx.scope, input) }),
  }),
);
