import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { type RetentionOutcome, runTenantRetention } from '../../domain/retention.ts';
import { type RetentionPolicy, removeRetentionPolicy, retentionPolicies, setRetentionPolicy } from '../../domain/retention-policies.ts';
import { builder } from '../builder.ts';
import { receiptField } from './erasure-receipt.ts';

const RetentionPolicyRef = builder.objectRef<RetentionPolicy>('RetentionPolicy').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    flowId: t.exposeID('flowId', { nullable: true, description: "null: the tenant's default, for flows without a policy of their own" }),
    maxAgeDays: t.exposeInt('maxAgeDays', { description: 'a chat whose last activity is older than this many days is erased' }),
    createdAt: t.field({ type: 'DateTime', resolve: (p) => p.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (p) => p.updatedAt }),
  }),
});

const SetRetentionPolicyInput = builder.inputType('SetRetentionPolicyInput', {
  fields: (t) => ({ flowId: t.id(), maxAgeDays: t.int({ required: true }) }),
});

const SetRetentionPolicySuccess = builder.objectRef<{ policy: RetentionPolicy }>('SetRetentionPolicySuccess').implement({
  fields: (t) => ({ policy: t.field({ type: RetentionPolicyRef, resolve: (r) => r.policy }) }),
});

const RemoveRetentionPolicySuccess = builder.objectRef<{ policy: RetentionPolicy }>('RemoveRetentionPolicySuccess').implement({
  fields: (t) => ({ policy: t.field({ type: RetentionPolicyRef, resolve: (r) => r.policy }) }),
});

const RunRetentionSuccess = builder.objectRef<RetentionOutcome>('RunRetentionSuccess').implement({
  fields: (t) => ({
    dryRun: t.exposeBoolean('dryRun'),
    erasedChatCount: t.exposeInt('erasedChatCount'),
    erasedMessageCount: t.exposeInt('erasedMessageCount'),
    heldChatCount: t.exposeInt('heldChatCount', { description: 'chats past their age that a legal hold kept' }),
    receipt: receiptField(t),
  }),
});

// What is kept, and for how long, is an operator's decision: admin keys only.
builder.queryField('retentionPolicies', (t) =>
  t.field({
    type: [RetentionPolicyRef],
    authScopes: { admin: true },
    resolve: (_root, _args, ctx) => retentionPolicies(ctx.deps, ctx.scope),
  }),
);

builder.mutationFields((t) => ({
  setRetentionPolicy: t.field({
    authScopes: { admin: true },
    type: SetRetentionPolicySuccess,
    errors: { types: [NotFoundError, ValidationError], union: { name: 'SetRetentionPolicyResult' }, directResult: true },
    args: { input: t.arg({ type: SetRetentionPolicyInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ policy: await setRetentionPolicy(ctx.deps, ctx.scope, input) }),
  }),
  removeRetentionPolicy: t.field({
    authScopes: { admin: true },
    type: RemoveRetentionPolicySuccess,
    errors: { types: [NotFoundError], union: { name: 'RemoveRetentionPolicyResult' }, directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ({ policy: await removeRetentionPolicy(ctx.deps, ctx.scope, id) }),
  }),
  runRetention: t.field({
    authScopes: { admin: true },
    type: RunRetentionSuccess,
    description: 'runs the retention policies now (the server also runs them on a timer)',
    errors: { types: [ValidationError], union: { name: 'RunRetentionResult' }, directResult: true },
    args: { dryRun: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, { dryRun }, ctx) => runTenantRetention(ctx.deps, ctx.scope, { dryRun: dryRun ?? false }),
  }),
}));
