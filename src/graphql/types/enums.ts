import {
  CHAT_TYPES,
  FEEDBACK_TYPES,
  FLOW_TYPES,
  MESSAGE_ROLES,
  STREAM_EVENT_TYPES,
  STREAM_STATUSES,
} from '../../data/tables.ts';
import { CHAT_EVENT_TYPES } from '../../live/events.ts';
import { builder } from '../builder.ts';

export const FlowTypeEnum = builder.enumType('FlowType', { values: FLOW_TYPES });
export const MessageRoleEnum = builder.enumType('MessageRole', { values: MESSAGE_ROLES });
export const ChatTypeEnum = builder.enumType('ChatType', { values: CHAT_TYPES });
export const FeedbackTypeEnum = builder.enumType('FeedbackType', { values: FEEDBACK_TYPES });
export const StreamStatusEnum = builder.enumType('StreamStatus', { values: STREAM_STATUSES });
export const StreamEventTypeEnum = builder.enumType('StreamEventType', { values: STREAM_EVENT_TYPES });
export const ChatEventTypeEnum = builder.enumType('ChatEventType', { values: CHAT_EVENT_TYPES });
