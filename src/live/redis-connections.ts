import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ConnectionRegistry } from './connection-registry.ts';

const key = (chatId: string) => `chat-gateway:connections:${chatId}`;

/**
 * Live connections shared by every replica: one sorted set per chat, whose members are
 * this replica's connections and whose scores are their expiry times. A heartbeat
 * (every ttl/3) pushes this replica's expiries forward; a replica that dies stops
 * renewing, and its connections stop counting within `ttlMs`.
 */
export class RedisConnectionRegistry implements ConnectionRegistry {
  private readonly replica = randomUUID();
  private readonly mine = new Map<string, string>(); // member → chatId
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    /** How long a replica's connections count without a heartbeat: a killed replica's stop counting within this. */
    private readonly ttlMs: number,
  ) {
    this.heartbeat = setInterval(() => {
      this.renew().catch((error: unknown) => console.error('connection heartbeat failed', error));
    }, Math.max(100, Math.floor(ttlMs / 3)));
    this.heartbeat.unref();
  }

  async add(chatId: string): Promise<string> {
    const member = `${this.replica}:${randomUUID()}`;
    this.mine.set(member, chatId);
    await this.redis.zadd(key(chatId), Date.now() + this.ttlMs, member);
    await this.redis.pexpire(key(chatId), this.ttlMs * 2);
    return member;
  }

  async remove(chatId: string, member: string): Promise<void> {
    this.mine.delete(member);
    await this.redis.zrem(key(chatId), member);
  }

  async count(chatId: string): Promise<number> {
    const now = Date.now();
    await this.redis.zremrangebyscore(key(chatId), '-inf', now);
    return this.redis.zcount(key(chatId), now, '+inf');
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const pipeline = this.redis.pipeline();
    for (const [member, chatId] of this.mine) pipeline.zrem(key(chatId), member);
    await pipeline.exec();
    this.mine.clear();
  }

  private async renew(): Promise<void> {
    if (this.mine.size === 0) return;
    const expiry = Date.now() + this.ttlMs;
    const pipeline = this.redis.pipeline();
    for (const [member, chatId] of this.mine) {
      pipeline.zadd(key(chatId), 'XX', expiry, member);
      pipeline.pexpire(key(chatId), this.ttlMs * 2);
    }
    await pipeline.exec();
  }
}
