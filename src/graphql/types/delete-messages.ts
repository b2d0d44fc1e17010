import { type DeleteMessagesResult, deleteMessages } from '../../domain/delete-messages.ts';
import { builder } from '../builder.ts';
import { AuditEntryRef } from './audit.ts';
import { receiptField } from './erasure-receipt.ts';
import { dryRunField } from './dry-run.ts';
import { DELETE_ERRORS } from './errors.ts';
import { MessageFilterInput } from './message-filter.ts';

const DeleteMessagesSuccess = builder.objectRef<DeleteMessagesResult>('DeleteMessagesSuccess').implement({
  fields: (t) => ({
    affected: t.exposeInt('affected', { description: 'number of messages deleted' }),
    hardDelete: t.exposeBoolean('hardDelete'),
    erasedEventCount: t.exposeInt('erasedEventCount', {
      description: 'cached stream events that carried the deleted text and were erased (hardDelete)',
    }),
    auditEntry: t.field({ type: AuditEntryRef, nullable: true, description: 'null for a dry run', resolve: (r) => r.auditEntry }),
    dryRun: dryRunField(t),
    receipt: receiptField(t),
  }),
});

builder.mutationField('deleteMessages', (t) =>
  t.field({
    authScopes: { delete: true },
    type: DeleteMessagesSuccess,
    description:
      "Deletes the flow's messages that match every given filter field; no filter means all of them. " +
      'hardDelete also erases the cached stream events that carried their text.',
    errors: { types: DELETE_ERRORS, union: { name: 'DeleteMessagesResult' }, directResult: true },
    args: {
      flowId: t.arg.id({ required: true }),
      filter: t.arg({ type: MessageFilterInput }),
      hardDelete: t.arg.boolean({ defaultValue: false }),
      dryRun: t.arg.boolean({ defaultValue: false }),
    },
    resolve: (_root, args, ctx) => deleteMessages(ctx.deps, ctx.scope, args),
  }),
);
