import { LEGAL_HOLD_SCOPES } from '../../data/tables.ts';
import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { type LegalHold, listHolds, placeLegalHold, releaseLegalHold } from '../../domain/legal-holds.ts';
import { builder } from '../builder.ts';
import { byCreation, keysetConnection } from '../paging.ts';

const SCOPE_DESCRIPTIONS: Partial<Record<(typeof LEGAL_HOLD_SCOPES)[number], string>> = {
  SESSION: "targetId is a sessionId: that subject's messages in every flow",
};

const LegalHoldScopeEnum = builder.enumType('LegalHoldScope', {
  values: Object.fromEntries(LEGAL_HOLD_SCOPES.map((scope) => [scope, { description: SCOPE_DESCRIPTIONS[scope] }])) as Record<
    (typeof LEGAL_HOLD_SCOPES)[number],
    { description?: string }
  >,
});

const LegalHoldRef = builder.objectRef<LegalHold>('LegalHold').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    scope: t.field({ type: LegalHoldScopeEnum, resolve: (h) => h.scope }),
    targetId: t.exposeString('targetId'),
    reason: t.exposeString('reason'),
    createdAt: t.field({ type: 'DateTime', resolve: (h) => h.createdAt }),
    createdBy: t.exposeString('createdBy'),
    releasedAt: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.releasedAt }),
  }),
});

const LegalHoldConnection = builder.connectionObject({ type: LegalHoldRef, name: 'LegalHoldConnection' }, { name: 'LegalHoldEdge' });

// Who may stop erasures is an operator's (or counsel's) decision: admin keys only, here and in the mutations.
builder.queryField('legalHolds', (t) =>
  t.field({
    type: LegalHoldConnection,
    authScopes: { admin: true },
    args: { active: t.arg.boolean(), first: t.arg.int(), after: t.arg.string() },
    resolve: (_root, args, ctx) =>
      keysetConnection({ first: args.first, after: args.after }, byCreation, (page) =>
        listHolds(ctx.deps, ctx.scope, args.active ?? undefined, page),
      ),
  }),
);

const PlaceLegalHoldInput = builder.inputType('PlaceLegalHoldInput', {
  fields: (t) => ({
    scope: t.field({ type: LegalHoldScopeEnum, required: true }),
    targetId: t.string({ required: true }),
    reason: t.string({ required: true }),
  }),
});

const PlaceLegalHoldSuccess = builder.objectRef<{ hold: LegalHold }>('PlaceLegalHoldSuccess').implement({
  fields: (t) => ({ hold: t.field({ type: LegalHoldRef, resolve: (r) => r.hold }) }),
});

const ReleaseLegalHoldSuccess = builder.objectRef<{ hold: LegalHold }>('ReleaseLegalHoldSuccess').implement({
  fields: (t) => ({ hold: t.field({ type: LegalHoldRef, resolve: (r) => r.hold }) }),
});

builder.mutationFields((t) => ({
  placeLegalHold: t.field({
    authScopes: { admin: true },
    type: PlaceLegalHoldSuccess,
    errors: { types: [NotFoundError, ValidationError], union: { name: 'PlaceLegalHoldResult' }, directResult: true },
    args: { input: t.arg({ type: PlaceLegalHoldInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ hold: await placeLegalHold(ctx.deps, ctx.scope, input) }),
  }),
  releaseLegalHold: t.field({
    authScopes: { admin: true },
    type: ReleaseLegalHoldSuccess,
    errors: { types: [NotFoundError], union: { name: 'ReleaseLegalHoldResult' }, directResult: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => ({ hold: await releaseLegalHold(ctx.deps, ctx.scope, id) }),
  }),
}));
