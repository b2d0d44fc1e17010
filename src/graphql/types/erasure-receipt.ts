import { ERASURE_STATUSES } from '../../data/tables.ts';
import { type CopyErasure, type ErasureReceipt, getErasureReceipt } from '../../domain/erasure-receipts.ts';
import { type SchemaTypes, builder } from '../builder.ts';
import { ResourceTypeEnum } from './errors.ts';

export const ErasureStatusEnum = builder.enumType('ErasureStatus', { values: ERASURE_STATUSES });

const CopyErasureRef = builder.objectRef<CopyErasure>('CopyErasure').implement({
  fields: (t) => ({
    targetId: t.exposeID('targetId'),
    name: t.exposeString('name'),
    status: t.field({ type: ErasureStatusEnum, resolve: (c) => c.status }),
    attempts: t.exposeInt('attempts'),
    lastError: t.exposeString('lastError', { nullable: true }),
    completedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.completedAt }),
  }),
});

export const ErasureReceiptRef = builder.objectRef<ErasureReceipt>('ErasureReceipt').implement({
  description: 'The proof that a permanent delete erased everything it named, here and in every copy.',
  fields: (t) => ({
    id: t.exposeID('id'),
    action: t.exposeString('action', { description: 'the audit action, e.g. chat.delete, messages.delete, subject.erase, retention.run' }),
    targetType: t.field({ type: ResourceTypeEnum, nullable: true, resolve: (r) => r.targetType }),
    targetId: t.exposeString('targetId', { nullable: true }),
    status: t.field({ type: ErasureStatusEnum, resolve: (r) => r.status }),
    requestedAt: t.field({ type: 'DateTime', resolve: (r) => r.requestedAt }),
    completedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: "when this service's rows and every copy were confirmed erased",
      resolve: (r) => r.completedAt,
    }),
    counts: t.field({ type: 'JSON', description: 'counts by kind: chats, threads, messages, streams, streamEvents', resolve: (r) => r.counts }),
    copies: t.field({ type: [CopyErasureRef], resolve: (r) => r.copies }),
    auditEntryId: t.exposeID('auditEntryId'),
  }),
});

builder.queryField('erasureReceipt', (t) =>
  t.field({
    type: ErasureReceiptRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => getErasureReceipt(ctx.deps, ctx.scope, id),
  }),
);

/** The `receipt` field of a delete's success: null when the delete erased nothing for good. */
export function receiptField<T extends { receiptId: string | null }>(t: PothosSchemaTypes.ObjectFieldBuilder<SchemaTypes, T>) {
  return t.field({
    type: ErasureReceiptRef,
    nullable: true,
    description: 'the proof of a permanent erasure (null for a soft delete or a dry run)',
    resolve: (r, _args, ctx) => (r.receiptId === null ? null : getErasureReceipt(ctx.deps, ctx.scope, r.receiptId)),
  });
}
