import type { MessageSelection } from '../data/messages.repository.ts';
import type { MessageRow } from '../data/tables.ts';
import type { Checker } from './validation.ts';

/** A message filter as clients send it (GraphQL input or REST query), dates still text. */
export interface MessageFilterInput {
  chatId?: string | null;
  threadId?: string | null;
  sessionId?: string | null;
  memoryType?: string | null;
  chatTypes?: readonly MessageRow['chat_type'][] | null;
  feedbackTypes?: readonly NonNullable<MessageRow['feedback']>[] | null;
  startDate?: string | null;
  endDate?: string | null;
}

const given = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

/** Validates a filter into a selection; problems go to `check` under `path`. */
export function toSelection(
  check: Checker,
  flowId: string,
  filter: MessageFilterInput | null | undefined,
  path: string[],
): MessageSelection {
  const f = filter ?? {};
  const at = (name: string) => [...path, name];
  const startDate = check.date(at('startDate'), f.startDate);
  const endDate = check.date(at('endDate'), f.endDate, true);
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
