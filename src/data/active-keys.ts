import type { Db } from './db.ts';
import { findActiveKeyByHash } from './tenants.repository.ts';

export type ActiveKey = NonNullable<Awaited<ReturnType<typeof findActiveKeyByHash>>>;

/** Finds the active (not revoked) API key with a hash: once per request. */
export interface ActiveKeys {
  find(keyHash: string): Promise<ActiveKey | undefined>;
  close(): Promise<void>;
}

export function uncachedActiveKeys(db: Db): ActiveKeys {
  return { find: (keyHash) => findActiveKeyByHash(db, keyHash), close: async () => {} };
}
