import { RESOURCE_TYPES } from '../../data/tables.ts';
import {
  CONFLICT_REASONS,
  ConflictError,
  type ConflictReason,
  type FieldError,
  NotFoundError,
  ValidationError,
} from '../../domain/errors.ts';
import { builder } from '../builder.ts';

// Expected failures are data: each domain error class is an object type, and the four
// deletes list them in their result unions (plugin-errors turns a throw into a member).
// Thrown anywhere else, they become coded errors (src/http/graphql-errors.ts).

export const ErrorInterface = builder.interfaceRef<Error>('Error').implement({
  fields: (t) => ({ message: t.exposeString('message') }),
});

export const ResourceTypeEnum = builder.enumType('ResourceType', { values: RESOURCE_TYPES });

const CONFLICT_REASON_DESCRIPTIONS: Record<ConflictReason, string> = {
  ACTIVE_CONNECTIONS: 'deleteChat while live subscriptions watch the chat and force is false',
  VERSION_MISMATCH: "expectedVersion was given and the resource's current version differs",
  ACTIVE_STREAM: 'deleteMessages would remove messages of a thread that a RUNNING stream is writing',
  LEGAL_HOLD: 'the delete would erase data under an active legal hold',
};

const ConflictReasonEnum = builder.enumType('ConflictReason', {
  values: Object.fromEntries(
    CONFLICT_REASONS.map((reason) => [reason, { description: CONFLICT_REASON_DESCRIPTIONS[reason] }]),
  ) as Record<ConflictReason, { description: string }>,
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    resourceType: t.field({ type: ResourceTypeEnum, resolve: (e) => e.resourceType }),
    id: t.exposeID('id'),
  }),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    reason: t.field({ type: ConflictReasonEnum, resolve: (e) => e.reason }),
    activeConnections: t.int({
      nullable: true,
      description: 'open live connections on the chat (ACTIVE_CONNECTIONS)',
      resolve: (e) => e.activeConnections,
    }),
    currentVersion: t.int({
      nullable: true,
      description: "the resource's version now (VERSION_MISMATCH)",
      resolve: (e) => e.currentVersion,
    }),
    holdIds: t.idList({
      nullable: true,
      description: 'the active holds that block the delete (LEGAL_HOLD)',
      resolve: (e) => e.holdIds,
    }),
  }),
});

const FieldErrorType = builder.objectRef<FieldError>('FieldError').implement({
  fields: (t) => ({
    path: t.exposeStringList('path', { description: 'argument path, e.g. ["filter", "startDate"]' }),
    message: t.exposeString('message'),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    fieldErrors: t.field({ type: [FieldErrorType], resolve: (e) => e.fieldErrors }),
  }),
});

export const DELETE_ERRORS = [NotFoundError, ConflictError, ValidationError];
