/**
 * Counts the live connections (chatEvents subscriptions) on each chat. With one replica
 * the count lives in memory; with several it lives in Redis so every replica sees all.
 */
export interface ConnectionRegistry {
  /** Registers a connection; the returned handle removes it. */
  add(chatId: string): Promise<string>;
  remove(chatId: string, handle: string): Promise<void>;
  count(chatId: string): Promise<number>;
  close(): Promise<void>;
}

export class MemoryConnectionRegistry implements ConnectionRegistry {
  private readonly counts = new Map<string, number>();
  private next = 0;

  async add(chatId: string): Promise<string> {
    this.counts.set(chatId, (this.counts.get(chatId) ?? 0) + 1);
    this.next += 1;
    return String(this.next);
  }

  async remove(chatId: string): Promise<void> {
    const n = (this.counts.get(chatId) ?? 0) - 1;
    if (n > 0) this.counts.set(chatId, n);
    else this.counts.delete(chatId);
  }

  async count(chatId: string): Promise<number> {
    return this.counts.get(chatId) ?? 0;
  }

  async close(): Promise<void> {}
}
