import { Redis, type RedisOptions, ReplyError } from 'ioredis';
import type { CopyTarget, ErasureEvent } from '../domain/copy-erasure.ts';
import { keysNamedBy } from '../domain/key-pattern.ts';

/** Keys per DEL: a huge erasure becomes many small commands, not one that stalls the target. */
export const DEL_CHUNK = 500;
export const CONNECT_TIMEOUT_MS = 5_000;
export const COMMAND_TIMEOUT_MS = 10_000;

// A target that is down must fail the erase at once, for the worker to retry on its own
// schedule: no offline queue to wait in, no background reconnecting to a dead host. A
// connection is made when an erase needs one (lazyConnect), and made again by the next
// erase once it is gone.
const OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  retryStrategy: () => null,
  // The ready check (INFO), client info (CLIENT SETINFO) and a connection name (CLIENT
  // SETNAME) are each a round trip that a silent server would let time out before the DEL
  // even starts; DEL needs none of them.
  enableReadyCheck: false,
  disableClientInfo: true,
};

interface Connection {
  redis: Redis;
  ready: Promise<void>;
  /** The connection's first error event: the cause, where a command only says "Connection is closed." */
  failure?: unknown;
}

/** Erases at REDIS targets: DEL of every key the target's pattern names for the event's rows. */
export class RedisEraser {
  // One per target URL, reused by every erase there.
  private readonly connections = new Map<string, Connection>();
  private readonly options: RedisOptions;

  constructor(timeouts: { connectTimeoutMs?: number; commandTimeoutMs?: number } = {}) {
    this.options = {
      ...OPTIONS,
      connectTimeout: timeouts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      commandTimeout: timeouts.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
    };
  }

  async erase(target: CopyTarget, event: ErasureEvent): Promise<void> {
    if (target.keyPattern === null) throw new Error('Redis target has no key pattern');
    const keys = keysNamedBy(target.keyPattern, event.flowId, event.rows);
    if (keys.length === 0) return;
    let connection: Connection | undefined;
    try {
      connection = this.connection(target.url);
      await connection.ready;
      for (let i = 0; i < keys.length; i += DEL_CHUNK) {
        await connection.redis.del(...keys.slice(i, i + DEL_CHUNK));
      }
    } catch (error) {
      // A connection that failed once (a timeout may mean a peer that silently went away)
      // is not trusted again: the next erase starts a fresh one.
      if (connection) this.forget(target.url, connection);
      throw new Error(describe(connection?.failure ?? error, target.url));
    }
  }

  async close(): Promise<void> {
    for (const { redis } of this.connections.values()) redis.disconnect();
    this.connections.clear();
  }

  private connection(url: string): Connection {
    const cached = this.connections.get(url);
    if (cached && cached.redis.status !== 'end') return cached;
    const redis = new Redis(url, this.options);
    const connection: Connection = { redis, ready: Promise.resolve() };
    // Kept for the erase that meets its consequence; unheard, it would be ioredis'
    // "Unhandled error event" on the console.
    redis.on('error', (error: unknown) => {
      connection.failure ??= error;
    });
    connection.ready = redis.connect();
    this.connections.set(url, connection);
    return connection;
  }

  private forget(url: string, connection: Connection): void {
    connection.redis.disconnect();
    if (this.connections.get(url) === connection) this.connections.delete(url);
  }
}

/** An error's message fit to show: the URL's credentials never appear in it. */
function describe(error: unknown, url: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const prefix = error instanceof ReplyError ? 'Redis target refused' : 'Redis target unreachable';
  return `${prefix}: ${withoutCredentials(message, url)}`;
}

function withoutCredentials(message: string, url: string): string {
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    // Not a URL to WHATWG: then only the whole of it is known to be secret.
  }
  // ioredis sends the password decoded; a message could hold either spelling.
  const secrets = [url, password, safeDecode(password)].filter((secret) => secret !== '');
  return secrets.reduce((text, secret) => text.replaceAll(secret, '***'), message);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
