import type { MessageSelection } from '../data/messages.repository.ts';
import { CHAT_TYPES, type ChatType, FEEDBACK_TYPES, type FeedbackType } from '../data/tables.ts';
import type { Checker } from './validation.ts';

// A message filter selects messages of one flow, for deleteMessages and the messages query
// (REST seed 003 reads the same filter from its query string). Its rules live here;
// src/data/messages.repository.ts only turns a validated selection into SQL.
//
// - A message is selected when every given field matches; no field given selects all of
//   the flow's messages. Messages of a soft-deleted thread (restorable until it is purged)
//   or of a chat being erased are never selected.
// - chatId, threadId: a UUID, in any case. A chat or thread that is gone selects nothing.
// - sessionId, memoryType: non-empty text of at most LIMITS.shortText characters
//   (validation.ts); the message has that value.
// - chatTypes: one or more of FILTER_CHOICES.chatTypes; the message has any of them.
// - feedbackTypes: one or more of FILTER_CHOICES.feedbackTypes. As Flowise does, this
//   selects the messages rated with any of them together with the USER message that
//   prompted each: the latest USER message before it in the same thread. The other fields
//   decide which rated messages are selected; each one's prompt goes with it.
// - startDate, endDate: ISO 8601, startDate ≤ createdAt ≤ endDate, both inclusive, and
//   startDate not after endDate. A bare date (2024-01-31) stands for its whole day in UTC:
//   its start as startDate, its end as endDate.

/** The values each list field accepts: those a message can have (src/data/tables.ts). */
export const FILTER_CHOICES = { chatTypes: CHAT_TYPES, feedbackTypes: FEEDBACK_TYPES } as const;

/** A message filter as clients send it (GraphQL input or REST query), dates still text. */
export interface MessageFilterInput {
  chatId?: string | null;
  threadId?: string | null;
  sessionId?: string | null;
  memoryType?: string | null;
  chatTypes?: readonly ChatType[] | null;
  feedbackTypes?: readonly FeedbackType[] | null;
  startDate?: string | null;
  endDate?: string | null;
}

const given = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

/** A bound of the createdAt range in the stored form; a bare date covers its whole day. */
function bound(check: Checker, path: string[], value: string | null | undefined, edge: 'start' | 'end'): string | undefined {
  const parsed = check.isoDate(path, value);
  if (parsed === undefined) return undefined;
  if (parsed.dateOnly && edge === 'end') parsed.date.setUTCHours(23, 59, 59, 999);
  return parsed.date.toISOString();
}

/** Validates a filter into a selection; problems go to `check` under `path`. */
export function toSelection(
  check: Checker,
  flowId: string,
  filter: MessageFilterInput | null | undefined,
  path: string[],
): MessageSelection {
  const f = filter ?? {};
  const at = (name: keyof MessageFilterInput) => [...path, name];
  const startDate = bound(check, at('startDate'), f.startDate, 'start');
  const endDate = bound(check, at('endDate'), f.endDate, 'end');
  if (startDate !== undefined && endDate !== undefined && startDate > endDate)
    check.fail(at('startDate'), 'must not be after endDate');
  const chatTypes = given(f.chatTypes);
  const feedbackTypes = given(f.feedbackTypes);
  if (chatTypes?.length === 0) check.fail(at('chatTypes'), 'must not be empty when given');
  if (feedbackTypes?.length === 0) check.fail(at('feedbackTypes'), 'must not be empty when given');
  return {
    flowId,
    chatId: f.chatId == null ? undefined : check.id(at('chatId'), f.chatId),
    threadId: f.threadId == null ? undefined : check.id(at('threadId'), f.threadId),
    sessionId: check.optionalText(at('sessionId'), f.sessionId),
    memoryType: check.optionalText(at('memoryType'), f.memoryType),
    chatTypes,
    feedbackTypes,
    startDate,
    endDate,
  };
}
