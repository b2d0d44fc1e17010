import { type DeleteChatResult, deleteChat } from '../../domain/delete-chat.ts';
import { builder } from '../builder.ts';
import { getErasureJob } from '../../domain/erasure-job-progress.ts';
import { AuditEntryRef } from './audit.ts';
import { receiptField } from './erasure-receipt.ts';
import { dryRunField } from './dry-run.ts';
import { DeletionJobRef } from './deletion-job.ts';
import { DELETE_ERRORS } from './errors.ts';

const DeleteChatSuccess = builder.objectRef<DeleteChatResult>('DeleteChatSuccess').implement({
  fields: (t) => ({
    chatId: t.exposeID('chatId'),
    success: t.boolean({ resolve: () => true }),
    message: t.string({ description: 'Chat deleted successfully', resolve: () => 'Chat deleted successfully' }),
    deletedAt: t.field({ type: 'DateTime', resolve: (r) => r.deletedAt }),
    deletedThreadCount: t.exposeInt('deletedThreadCount'),
    deletedMessageCount: t.exposeInt('deletedMessageCount'),
    cancelledStreamCount: t.exposeInt('cancelledStreamCount'),
    closedConnections: t.exposeInt('closedConnections', {
      description: 'live subscriptions ended because force was true',
    }),
    erasureJob: t.field({
      type: DeletionJobRef,
      nullable: true,
      description: 'a large chat vanishes at once and is erased in the background: follow it here',
      resolve: (r, _args, ctx) => (r.erasureJobId ? getErasureJob(ctx.deps, ctx.scope, r.erasureJobId) : null),
    }),
    auditEntry: t.field({ type: AuditEntryRef, nullable: true, description: 'null for a dry run', resolve: (r) => r.auditEntry }),
    dryRun: dryRunField(t),
    receipt: receiptField(t),
  }),
});

builder.mutationField('deleteChat', (t) =>
  t.field({
    authScopes: { delete: true },
    type: DeleteChatSuccess,
    description:
      'Permanently removes the chat, its threads (soft-deleted ones too), messages, streams and their events. ' +
      'Live chatEvents subscriptions make it a ConflictError unless force is true.',
    errors: { types: DELETE_ERRORS, union: { name: 'DeleteChatResult' }, directResult: true },
    args: {
      id: t.arg.id({ required: true }),
      expectedVersion: t.arg.int(),
      force: t.arg.boolean({ defaultValue: false }),
      dryRun: t.arg.boolean({ defaultValue: false }),
    },
    resolve: (_root, args, ctx) => deleteChat(ctx.deps, ctx.scope, args),
  }),
);
