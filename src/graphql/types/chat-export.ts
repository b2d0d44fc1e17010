import { type ChatExport, exportChatDocument } from '../../domain/chat-export-document.ts';
import { builder } from '../builder.ts';

const ChatExportRef = builder.objectRef<ChatExport>('ChatExport').implement({
  fields: (t) => ({
    chatId: t.exposeID('chatId'),
    exportedAt: t.field({ type: 'DateTime', resolve: (e) => e.exportedAt }),
    format: t.exposeString('format', { description: 'chat-gateway.chat-export.v1' }),
    data: t.field({
      type: 'JSON',
      description: 'the chat, its threads (soft-deleted ones marked) and every message with all its fields',
      resolve: (e) => e.data,
    }),
  }),
});

builder.queryField('exportChat', (t) =>
  t.field({
    type: ChatExportRef,
    nullable: true,
    description: 'the whole chat as data, for export before deletion (null when missing)',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => exportChatDocument(ctx.deps, ctx.scope, id),
  }),
);
