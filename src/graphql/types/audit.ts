import type { AuditEntry } from '../../domain/audit.ts';
import { auditLog, sealedEntry } from '../../domain/audit-log.ts';
import { builder } from '../builder.ts';
import { decodeCursor, encodeCursor } from '../paging.ts';
import { ResourceTypeEnum } from './errors.ts';


export const AuditEntryRef = builder.objectRef<AuditEntry>('AuditEntry').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    action: t.exposeString('action', {
      description: 'e.g. chat.delete, thread.delete, thread.restore, thread.purge, stream.delete, messages.delete',
    }),
    targetType: t.field({ type: ResourceTypeEnum, resolve: (a) => a.targetType }),
    targetId: t.exposeID('targetId'),
    actor: t.exposeString('actor', { description: "the API key's name that acted" }),
    requestId: t.exposeID('requestId'),
    details: t.field({
      type: 'JSON',
      nullable: true,
      description: 'counts and options of the operation; never message content',
      resolve: (a) => (a.details === null ? null : (JSON.parse(a.details) as unknown)),
    }),
    at: t.field({ type: 'DateTime', resolve: (a) => a.at }),
    hash: t.string({
      description: "SHA-256 (hex) over this entry's canonical form and previousHash: the log is a hash chain",
      resolve: async (a, _args, ctx) => (await sealedEntry(ctx.deps, ctx.scope, a)).hash,
    }),
    previousHash: t.string({
      nullable: true,
      resolve: async (a, _args, ctx) => (await sealedEntry(ctx.deps, ctx.scope, a)).previousHash,
    }),
  }),
});

const AuditEntryConnection = builder.connectionObject(
  { type: AuditEntryRef, name: 'AuditEntryConnection' },
  { name: 'AuditEntryEdge' },
);

// The audit log is append-only and ordered by insertion, so its cursor is the entry's seq.
builder.queryField('auditLog', (t) =>
  t.field({
      type: AuditEntryConnection,
      description: 'newest first',
      args: { first: t.arg.int(), after: t.arg.string() },
      resolve: async (_root, args, ctx) => {
        const after =
          args.after == null
            ? undefined
            : decodeCursor(args.after, 'after', ([seq, ...rest]) =>
                Number.isSafeInteger(seq) && (seq as number) > 0 && rest.length === 0 ? (seq as number) : undefined,
              );
        const size = Math.min(Math.max(args.first ?? 20, 0), 100);
        const rows = await auditLog(ctx.deps, ctx.scope, after, size + 1);
        const page = rows.slice(0, size);
        const edges = page.map((node) => ({ node, cursor: encodeCursor([node.seq]) }));
        return {
          edges,
          pageInfo: {
            hasNextPage: rows.length > size,
            hasPreviousPage: after !== undefined,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
  }),
);
