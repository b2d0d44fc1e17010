import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import {
  type Thread,
  createThread,
  getThreads,
  messageCountsOfThreads,
  pageDeletedThreads,
  restoreThread,
} from '../../domain/threads.ts';
import { pageMessagesOfThread } from '../../domain/messages.ts';
import { builder } from '../builder.ts';
import { byCreation, keysetConnection } from '../paging.ts';
import { ChatRef, MessageConnection, MessageRef, ThreadConnection, ThreadRef } from './refs.ts';

ThreadRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    chat: t.field({ type: ChatRef, resolve: (th) => th.chatId }),
    title: t.exposeString('title', { nullable: true }),
    metadata: t.field({
      type: 'JSON',
      nullable: true,
      resolve: (th) => (th.metadata === null ? null : (JSON.parse(th.metadata) as unknown)),
    }),
    version: t.exposeInt('version'),
    createdAt: t.field({ type: 'DateTime', resolve: (th) => th.createdAt }),
    messages: t.connection(
      {
        type: MessageRef,
        resolve: (thread, args, ctx) =>
          keysetConnection(args, byCreation, (page) => pageMessagesOfThread(ctx.deps, thread, page)),
      },
      MessageConnection,
    ),
    messageCount: t.loadable({
      type: 'Int',
      load: async (ids: string[], ctx) => {
        const counts = await messageCountsOfThreads(ctx.deps, ids);
        return ids.map((id) => counts.get(id) ?? 0);
      },
      resolve: (th) => th.id,
    }),
    deletedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'set while the thread is soft-deleted (seen through deletedThreads)',
      resolve: (th) => th.deletedAt,
    }),
    restoreUntil: t.field({ type: 'DateTime', nullable: true, resolve: (th) => th.restoreUntil }),
  }),
});

builder.queryFields((t) => ({
  thread: t.field({
    type: ThreadRef,
    nullable: true,
    description: 'null for a soft-deleted thread',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => (await getThreads(ctx.deps, ctx.scope, [id]))[0],
  }),
  deletedThreads: t.connection(
    {
      type: ThreadRef,
      description: 'soft-deleted threads that can still be restored',
      resolve: (_root, args, ctx) =>
        keysetConnection(
          args,
          (th: Thread) => ({ at: th.deletedAt ?? '', id: th.id }),
          (page) => pageDeletedThreads(ctx.deps, ctx.scope, page),
        ),
    },
    ThreadConnection,
  ),
}));

const CreateThreadInput = builder.inputType('CreateThreadInput', {
  fields: (t) => ({ chatId: t.id({ required: true }), title: t.string(), metadata: t.field({ type: 'JSON' }) }),
});

const CreateThreadSuccess = builder.objectRef<{ thread: Thread }>('CreateThreadSuccess').implement({
  fields: (t) => ({ thread: t.field({ type: ThreadRef, resolve: (r) => r.thread }) }),
});

builder.mutationField('createThread', (t) =>
  t.field({
    authScopes: { write: true },
    type: CreateThreadSuccess,
    errors: { types: [NotFoundError, ValidationError], union: { name: 'CreateThreadResult' }, directResult: true },
    args: { input: t.arg({ type: CreateThreadInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ thread: await createThread(ctx.deps, ctx.scope, input) }),
  }),
);

const RestoreThreadSuccess = builder.objectRef<{ thread: Thread }>('RestoreThreadSuccess').implement({
  fields: (t) => ({ thread: t.field({ type: ThreadRef, resolve: (r) => r.thread }) }),
});

builder.mutationField('restoreThread', (t) =>
  t.field({
    authScopes: { delete: true },
    type: RestoreThreadSuccess,
    errors: { types: [NotFoundError, ValidationError], union: { name: 'RestoreThreadResult' }, directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => restoreThread(ctx.deps, ctx.scope, { id }),
  }),
);
