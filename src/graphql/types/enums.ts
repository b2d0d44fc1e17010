import { builder } from '../builder.ts';

export const FlowTypeEnum = builder.enumType('FlowType', { values: ['CHATFLOW', 'AGENTFLOW'] as const });
export const MessageRoleEnum = builder.enumType('MessageRole', { values: ['USER', 'ASSISTANT', 'SYSTEM', 'TOOL'] as const });
export const ChatTypeEnum = builder.enumType('ChatType', { values: ['INTERNAL', 'EXTERNAL'] as const });
export const FeedbackTypeEnum = builder.enumType('FeedbackType', { values: ['THUMBS_UP', 'THUMBS_DOWN'] as const });
export const StreamStatusEnum = builder.enumType('StreamStatus', {
  values: ['QUEUED', 'RUNNING', 'COMPLETED', 'CANCELLED', 'FAILED'] as const,
});
export const StreamEventTypeEnum = builder.enumType('StreamEventType', {
  values: ['STARTED', 'TOKEN', 'COMPLETED', 'CANCELLED', 'FAILED', 'DELETED'] as const,
});
export const ChatEventTypeEnum = builder.enumType('ChatEventType', {
  values: [
    'THREAD_CREATED',
    'THREAD_DELETED',
    'THREAD_RESTORED',
    'MESSAGE_POSTED',
    'MESSAGES_DELETED',
    'STREAM_STARTED',
    'STREAM_FINISHED',
    'STREAM_DELETED',
    'CHAT_DELETED',
  ] as const,
});
