import { type Chat, createChat, getChats, messageCountsOfChats, pageChats } from '../../domain/chats.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { pageThreadsOfChat } from '../../domain/threads.ts';
import { builder } from '../builder.ts';
import { byCreation, keysetConnection } from '../paging.ts';
import { ChatConnection, ChatRef, FlowRef, ThreadConnection, ThreadRef } from './refs.ts';

ChatRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    flow: t.field({ type: FlowRef, resolve: (c) => c.flowId }),
    title: t.exposeString('title', { nullable: true }),
    version: t.exposeInt('version'),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (c) => c.updatedAt }),
    threads: t.connection(
      {
        type: ThreadRef,
        resolve: (chat, args, ctx) => keysetConnection(args, byCreation, (page) => pageThreadsOfChat(ctx.deps, chat, page)),
      },
      ThreadConnection,
    ),
    messageCount: t.loadable({
      type: 'Int',
      load: async (ids: string[], ctx) => {
        const counts = await messageCountsOfChats(ctx.deps, ids);
        return ids.map((id) => counts.get(id) ?? 0);
      },
      resolve: (c) => c.id,
    }),
    activeConnections: t.int({
      description: 'open live subscriptions (chatEvents) on this chat, across all replicas',
      resolve: (c, _args, ctx) => ctx.deps.live.activeConnections(c.id),
    }),
  }),
});

builder.queryFields((t) => ({
  chat: t.field({
    type: ChatRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => (await getChats(ctx.deps, ctx.scope, [id]))[0],
  }),
  chats: t.connection(
    {
      type: ChatRef,
      args: { flowId: t.arg.id() },
      resolve: (_root, args, ctx) =>
        keysetConnection(args, byCreation, (page) => pageChats(ctx.deps, ctx.scope, args.flowId ?? undefined, page)),
    },
    ChatConnection,
  ),
}));

const CreateChatInput = builder.inputType('CreateChatInput', {
  fields: (t) => ({ flowId: t.id({ required: true }), title: t.string() }),
});

const CreateChatSuccess = builder.objectRef<{ chat: Chat }>('CreateChatSuccess').implement({
  fields: (t) => ({ chat: t.field({ type: ChatRef, resolve: (r) => r.chat }) }),
});

builder.mutationField('createChat', (t) =>
  t.field({
    authScopes: { write: true },
    type: CreateChatSuccess,
    errors: { types: [NotFoundError, ValidationError], union: { name: 'CreateChatResult' }, directResult: true },
    args: { input: t.arg({ type: CreateChatInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ chat: await createChat(ctx.deps, ctx.scope, input) }),
  }),
);
