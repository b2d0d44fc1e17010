import SchemaBuilder from '@pothos/core';
import { GraphQLError } from 'graphql';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import DirectivesPlugin from '@pothos/plugin-directives';
import ErrorsPlugin from '@pothos/plugin-errors';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { type Permission, ALL_PERMISSIONS } from '../domain/api-keys.ts';
import type { Context } from './context.ts';

export const builder = new SchemaBuilder<{
  Context: Context;
  // The API key's permissions (README "Security").
  AuthScopes: Record<Permission, boolean>;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    ID: { Input: string; Output: string };
    // Inputs stay text: the domain parses dates so a bad one is a ValidationError with its path.
    DateTime: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  // Federation needs the directives plugin (or @key silently vanishes) and comes last.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, DirectivesPlugin, RelayPlugin, DataloaderPlugin, FederationPlugin],
  scopeAuth: {
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, _context, info) =>
      new GraphQLError(`This API key may not use ${info.parentType.name}.${info.fieldName}`, {
        extensions: { code: 'FORBIDDEN' },
      }),
    authScopes: (ctx) =>
      Object.fromEntries(ALL_PERMISSIONS.map((p) => [p, ctx.scope.permissions.includes(p)])) as Record<Permission, boolean>,
  },
  defaultFieldNullability: false,
  errors: { defaultTypes: [] },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
  },
});

// Reads need "read"; each mutation names its own permission ("write" or "delete").
builder.queryType({ authScopes: { read: true } });
builder.mutationType({});

/** The builder's types, for helpers that add the same field to several object types. */
export type SchemaTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
