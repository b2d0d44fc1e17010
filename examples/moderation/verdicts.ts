import { createHash } from 'node:crypto';

// A stand-in for a real classifier: every verdict is derived from the id alone, so the
// example needs no storage and tests can predict its answers.

const REASONS = ['spam', 'harassment', 'personal data'] as const;

function digest(id: string): Buffer {
  return createHash('sha256').update(id).digest();
}

export interface ChatModeration {
  flagged: boolean;
  reason: string | null;
}

/** About a third of chats are flagged. */
export function chatModeration(chatId: string): ChatModeration {
  const [a = 0, b = 0] = digest(`chat:${chatId}`);
  const flagged = a < 85;
  return { flagged, reason: flagged ? (REASONS[b % REASONS.length] ?? null) : null };
}

/** A score in [0, 1] with three decimals. */
export function messageToxicity(messageId: string): number {
  return Math.round((digest(`message:${messageId}`).readUInt16BE(0) / 0xffff) * 1000) / 1000;
}
