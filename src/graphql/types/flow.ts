import { type Flow, createFlow, getFlows, pageFlows } from '../../domain/flows.ts';
import { pageChats } from '../../domain/chats.ts';
import { ValidationError } from '../../domain/errors.ts';
import { builder } from '../builder.ts';
import { byCreation, keysetConnection } from '../paging.ts';
import { FlowTypeEnum } from './enums.ts';
import { ChatConnection, ChatRef, FlowRef } from './refs.ts';

FlowRef.implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    type: t.field({ type: FlowTypeEnum, resolve: (f) => f.type }),
    createdAt: t.field({ type: 'DateTime', resolve: (f) => f.createdAt }),
    chats: t.connection(
      {
        type: ChatRef,
        resolve: (flow, args, ctx) =>
          keysetConnection(args, byCreation, (page) => pageChats(ctx.deps, ctx.scope, flow.id, page)),
      },
      ChatConnection,
    ),
  }),
});

const FlowConnection = builder.connectionObject({ type: FlowRef, name: 'FlowConnection' }, { name: 'FlowEdge' });

builder.queryFields((t) => ({
  flow: t.field({
    type: FlowRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => (await getFlows(ctx.deps, ctx.scope, [id]))[0],
  }),
  flows: t.connection(
    {
      type: FlowRef,
      resolve: (_root, args, ctx) => keysetConnection(args, byCreation, (page) => pageFlows(ctx.deps, ctx.scope, page)),
    },
    FlowConnection,
  ),
}));

const CreateFlowInput = builder.inputType('CreateFlowInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    type: t.field({ type: FlowTypeEnum, required: true }),
  }),
});

const CreateFlowSuccess = builder.objectRef<{ flow: Flow }>('CreateFlowSuccess').implement({
  fields: (t) => ({ flow: t.field({ type: FlowRef, resolve: (r) => r.flow }) }),
});

builder.mutationField('createFlow', (t) =>
  t.field({
    authScopes: { write: true },
    type: CreateFlowSuccess,
    errors: { types: [ValidationError], union: { name: 'CreateFlowResult' }, directResult: true },
    args: { input: t.arg({ type: CreateFlowInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ flow: await createFlow(ctx.deps, ctx.scope, input) }),
  }),
);
