import { type DeleteStreamResult, deleteStream } from '../../domain/delete-stream.ts';
import { builder } from '../builder.ts';
import { AuditEntryRef } from './audit.ts';
import { receiptField } from './erasure-receipt.ts';
import { dryRunField } from './dry-run.ts';
import { StreamStatusEnum } from './enums.ts';
import { DELETE_ERRORS } from './errors.ts';

const DeleteStreamSuccess = builder.objectRef<DeleteStreamResult>('DeleteStreamSuccess').implement({
  fields: (t) => ({
    streamId: t.exposeID('streamId'),
    previousStatus: t.field({ type: StreamStatusEnum, resolve: (r) => r.previousStatus }),
    cancelled: t.exposeBoolean('cancelled', {
      description: 'true when the stream was QUEUED or RUNNING and was cancelled first',
    }),
    deletedEventCount: t.exposeInt('deletedEventCount'),
    deletedAt: t.field({ type: 'DateTime', resolve: (r) => r.deletedAt }),
    auditEntry: t.field({ type: AuditEntryRef, nullable: true, description: 'null for a dry run', resolve: (r) => r.auditEntry }),
    dryRun: dryRunField(t),
    receipt: receiptField(t),
  }),
});

builder.mutationField('deleteStream', (t) =>
  t.field({
    authScopes: { delete: true },
    type: DeleteStreamSuccess,
    description:
      'Cancels a QUEUED or RUNNING stream, then removes it with its cached events. ' +
      'The message a COMPLETED stream committed stays in its thread.',
    errors: { types: DELETE_ERRORS, union: { name: 'DeleteStreamResult' }, directResult: true },
    args: { id: t.arg.id({ required: true }), expectedVersion: t.arg.int(), dryRun: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, args, ctx) => deleteStream(ctx.deps, ctx.scope, args),
  }),
);
