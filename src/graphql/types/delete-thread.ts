import { type DeleteThreadResult, deleteThread } from '../../domain/delete-thread.ts';
import { builder } from '../builder.ts';
import { AuditEntryRef } from './audit.ts';
import { receiptField } from './erasure-receipt.ts';
import { dryRunField } from './dry-run.ts';
import { DELETE_ERRORS } from './errors.ts';

// Field names echo the seed APIs' ThreadDeleteResponse and ThreadDeletionStatus.
const DeleteThreadSuccess = builder.objectRef<DeleteThreadResult>('DeleteThreadSuccess').implement({
  fields: (t) => ({
    id: t.id({ description: "the thread's id (also as threadId)", resolve: (r) => r.thread.id }),
    threadId: t.id({ resolve: (r) => r.thread.id }),
    deleted: t.boolean({ resolve: () => true }),
    object: t.string({ description: 'always thread.deleted', resolve: () => 'thread.deleted' }),
    status: t.string({ description: 'always success', resolve: () => 'success' }),
    message: t.string({
      resolve: (r) =>
        r.permanent
          ? 'Thread permanently deleted'
          : `Thread deleted; it can be restored until ${r.restoreUntil ?? ''}`,
    }),
    threadTitle: t.string({ nullable: true, resolve: (r) => r.threadTitle }),
    chatId: t.id({ resolve: (r) => r.thread.chatId }),
    flowId: t.id({ resolve: (r) => r.thread.flowId }),
    deletedMessageCount: t.exposeInt('deletedMessageCount'),
    cancelledStreamCount: t.exposeInt('cancelledStreamCount'),
    deletedAt: t.field({ type: 'DateTime', resolve: (r) => r.deletedAt }),
    deletedBy: t.exposeString('deletedBy'),
    softDelete: t.boolean({ resolve: (r) => !r.permanent }),
    permanentDelete: t.exposeBoolean('permanent'),
    canRestore: t.boolean({ resolve: (r) => !r.permanent }),
    restoreUntil: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.restoreUntil }),
    requestId: t.exposeID('requestId'),
    operationDurationMs: t.exposeFloat('operationDurationMs'),
    auditEntry: t.field({ type: AuditEntryRef, nullable: true, description: 'null for a dry run', resolve: (r) => r.auditEntry }),
    dryRun: dryRunField(t),
    receipt: receiptField(t),
  }),
});

builder.mutationField('deleteThread', (t) =>
  t.field({
    authScopes: { delete: true },
    type: DeleteThreadSuccess,
    description:
      'Soft by default: the thread vanishes from reads and restoreThread brings it back until restoreUntil. ' +
      'permanent: true erases it at once, also when it is already soft-deleted.',
    errors: { types: DELETE_ERRORS, union: { name: 'DeleteThreadResult' }, directResult: true },
    args: {
      id: t.arg.id({ required: true }),
      permanent: t.arg.boolean({ defaultValue: false }),
      expectedVersion: t.arg.int(),
      dryRun: t.arg.boolean({ defaultValue: false }),
    },
    resolve: (_root, args, ctx) => deleteThread(ctx.deps, ctx.scope, args),
  }),
);
