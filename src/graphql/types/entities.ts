import { builder } from '../builder.ts';
import { ChatRef, FlowRef, MessageRef, ThreadRef } from './refs.ts';
import { StreamRef } from './stream.ts';

// Federation entities keyed by id. Each reference goes through the type's per-request
// dataloader, so N references of one type in an _entities call cost one SQL query, and
// the loaders are tenant-scoped: another tenant's id resolves to null.

const byId = builder.selection<{ id: string }>('id');

builder.asEntity(FlowRef, { key: byId, resolveReference: (ref, ctx) => FlowRef.getDataloader(ctx).load(ref.id) });
builder.asEntity(ChatRef, { key: byId, resolveReference: (ref, ctx) => ChatRef.getDataloader(ctx).load(ref.id) });
builder.asEntity(ThreadRef, { key: byId, resolveReference: (ref, ctx) => ThreadRef.getDataloader(ctx).load(ref.id) });
builder.asEntity(MessageRef, { key: byId, resolveReference: (ref, ctx) => MessageRef.getDataloader(ctx).load(ref.id) });
builder.asEntity(StreamRef, { key: byId, resolveReference: (ref, ctx) => StreamRef.getDataloader(ctx).load(ref.id) });
