import { type EraseSubjectResult, eraseSubject } from '../../domain/erase-subject.ts';
import { ConflictError, ValidationError } from '../../domain/errors.ts';
import { builder } from '../builder.ts';
import { AuditEntryRef } from './audit.ts';
import { dryRunField } from './dry-run.ts';
import { receiptField } from './erasure-receipt.ts';

const EraseSubjectSuccess = builder.objectRef<EraseSubjectResult>('EraseSubjectSuccess').implement({
  fields: (t) => ({
    sessionId: t.exposeString('sessionId'),
    dryRun: dryRunField(t),
    affected: t.exposeInt('affected', { description: 'messages erased, in every flow' }),
    flowCount: t.exposeInt('flowCount', { description: 'flows that held messages of the subject' }),
    receipt: receiptField(t),
    auditEntry: t.field({ type: AuditEntryRef, nullable: true, description: 'null for a dry run', resolve: (r) => r.auditEntry }),
  }),
});

builder.mutationField('eraseSubject', (t) =>
  t.field({
    authScopes: { delete: true },
    type: EraseSubjectSuccess,
    description: 'every message of this session id in every flow of the tenant, erased with hardDelete semantics',
    errors: { types: [ConflictError, ValidationError], union: { name: 'EraseSubjectResult' }, directResult: true },
    args: { sessionId: t.arg.string({ required: true }), dryRun: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, args, ctx) => eraseSubject(ctx.deps, ctx.scope, { sessionId: args.sessionId, dryRun: args.dryRun }),
  }),
);
