import { ERASURE_TARGET_KINDS } from '../../data/tables.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { type ErasureTarget, addErasureTarget, removeErasureTarget, targetsOfFlow } from '../../domain/erasure-targets.ts';
import { builder } from '../builder.ts';
import { FlowRef } from './refs.ts';

const ErasureTargetKindEnum = builder.enumType('ErasureTargetKind', {
  values: {
    REDIS: { value: ERASURE_TARGET_KINDS[0], description: 'DEL of every key its keyPattern names, for each erased (sessionId, chatId, threadId, flowId)' },
    WEBHOOK: { value: ERASURE_TARGET_KINDS[1], description: 'a signed POST of the erasure event; a 2xx answer confirms it' },
  },
});

const ErasureTargetRef = builder.objectRef<ErasureTarget>('ErasureTarget').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    flowId: t.exposeID('flowId'),
    kind: t.field({ type: ErasureTargetKindEnum, resolve: (e) => e.kind }),
    name: t.exposeString('name'),
    url: t.exposeString('url', { description: 'without credentials' }),
    keyPattern: t.exposeString('keyPattern', {
      nullable: true,
      description: 'REDIS: e.g. memory:{sessionId} (placeholders {sessionId} {chatId} {threadId} {flowId})',
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (e) => e.createdAt }),
  }),
});

// Where the server sends data is an operator's decision: admin keys only, here and in mutations.
builder.objectField(FlowRef, 'erasureTargets', (t) =>
  t.field({
    type: [ErasureTargetRef],
    authScopes: { admin: true },
    description: "the places outside this service that hold copies of the flow's messages",
    resolve: (flow, _args, ctx) => targetsOfFlow(ctx.deps, ctx.scope, flow.id),
  }),
);

const AddErasureTargetInput = builder.inputType('AddErasureTargetInput', {
  fields: (t) => ({
    flowId: t.id({ required: true }),
    kind: t.field({ type: ErasureTargetKindEnum, required: true }),
    name: t.string({ required: true }),
    url: t.string({ required: true }),
    keyPattern: t.string(),
    secret: t.string({ description: 'WEBHOOK: the HMAC-SHA256 signing secret' }),
  }),
});

const AddErasureTargetSuccess = builder.objectRef<{ target: ErasureTarget }>('AddErasureTargetSuccess').implement({
  fields: (t) => ({ target: t.field({ type: ErasureTargetRef, resolve: (r) => r.target }) }),
});

const RemoveErasureTargetSuccess = builder.objectRef<{ target: ErasureTarget }>('RemoveErasureTargetSuccess').implement({
  fields: (t) => ({ target: t.field({ type: ErasureTargetRef, resolve: (r) => r.target }) }),
});

builder.mutationFields((t) => ({
  addErasureTarget: t.field({
    authScopes: { admin: true },
    type: AddErasureTargetSuccess,
    errors: { types: [NotFoundError, ValidationError], union: { name: 'AddErasureTargetResult' }, directResult: true },
    args: { input: t.arg({ type: AddErasureTargetInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ target: await addErasureTarget(ctx.deps, ctx.scope, input) }),
  }),
  removeErasureTarget: t.field({
    authScopes: { admin: true },
    type: RemoveErasureTargetSuccess,
    errors: { types: [NotFoundError], union: { name: 'RemoveErasureTargetResult' }, directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ({ target: await removeErasureTarget(ctx.deps, ctx.scope, id) }),
  }),
}));
