import { builder } from '../builder.ts';
import { ChatTypeEnum, FeedbackTypeEnum } from './enums.ts';

// The descriptions summarise the rules of src/domain/message-filter.ts for the schema.
export const MessageFilterInput = builder.inputType('MessageFilter', {
  description: 'Selects messages of one flow. Every given field must match; dates are inclusive.',
  fields: (t) => ({
    chatId: t.id(),
    threadId: t.id(),
    sessionId: t.string(),
    memoryType: t.string(),
    chatTypes: t.field({ type: [ChatTypeEnum] }),
    feedbackTypes: t.field({
      type: [FeedbackTypeEnum],
      description: 'the rated messages and the USER message that prompted each of them',
    }),
    startDate: t.field({ type: 'DateTime', description: 'a bare date means the start of that day (UTC)' }),
    endDate: t.field({ type: 'DateTime', description: 'a bare date means the end of that day (UTC)' }),
  }),
});
