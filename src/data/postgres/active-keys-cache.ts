import pg from 'pg';
import { type ActiveKey, type ActiveKeys, uncachedActiveKeys } from '../active-keys.ts';
import type { Db } from '../db.ts';
import { findActiveKeyByHash } from '../tenants.repository.ts';

/** The channel a trigger on api_keys notifies (migration 0008, PostgreSQL only). */
const KEYS_CHANGED_CHANNEL = 'chat_gateway_api_keys_changed';

const RELISTEN_MS = 1000;

/**
 * On PostgreSQL the key lookup was one of a small delete's two round trips (bench/RESULTS.md),
 * so keys found active are kept, up to `maxAgeMs` each. A revocation still answers 401 at
 * once, whichever process makes it (the CLI, an operator's UPDATE): every change to api_keys
 * notifies a channel this process LISTENs on from a connection of its own, and the whole
 * cache is forgotten. While that connection is down, nothing is kept or served from the
 * cache. `maxAgeMs` bounds the damage where notifications cannot arrive although LISTEN
 * succeeds (a PgBouncer in transaction mode); 0 turns the cache off. Unknown keys are never
 * kept, so a new key works at once and guessing fills no memory.
 */
export function cachedActiveKeys(db: Db, url: string, maxAgeMs: number, maxEntries = 10_000): ActiveKeys {
  if (maxAgeMs <= 0) return uncachedActiveKeys(db);
  const kept = new Map<string, { key: ActiveKey; until: number }>();
  /** Moves on at every change and whenever listening starts or stops. */
  let generation = 0;
  let listener: pg.Client | undefined;
  let listening = false;
  let started = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const forget = () => {
    generation += 1;
    kept.clear();
  };

  const listen = async () => {
    const client = new pg.Client({ connectionString: url });
    listener = client;
    const lost = () => {
      if (listener !== client) return;
      listener = undefined;
      listening = false;
      forget();
      client.end().catch(() => undefined);
      if (!closed) retry = setTimeout(listen, RELISTEN_MS).unref();
    };
    // A dropped connection emits 'error' (unhandled, it would crash the process) and 'end'.
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', forget);
    try {
      await client.connect();
      await client.query(`LISTEN ${KEYS_CHANGED_CHANNEL}`);
      if (listener !== client) return;
      // Changes made before LISTEN took effect were not heard: start from nothing.
      forget();
      listening = true;
    } catch {
      lost();
    }
  };

  return {
    async find(keyHash) {
      if (!started) {
        started = true;
        void listen();
      }
      const hit = listening ? kept.get(keyHash) : undefined;
      if (hit && hit.until > performance.now()) return hit.key;
      const before = generation;
      const key = await findActiveKeyByHash(db, keyHash);
      // A change heard while the lookup ran may be one the lookup did not see.
      if (key && listening && generation === before) {
        kept.delete(keyHash);
        if (kept.size >= maxEntries) kept.delete(kept.keys().next().value as string);
        kept.set(keyHash, { key, until: performance.now() + maxAgeMs });
      }
      return key;
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const client = listener;
      listener = undefined;
      listening = false;
      forget();
      await client?.end().catch(() => undefined);
    },
  };
}
