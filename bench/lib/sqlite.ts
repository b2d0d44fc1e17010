import SQLite from 'better-sqlite3';

// Kept apart from seed.ts so the raw baseline server loads nothing of the product.

/** The product's pragmas (src/data/sqlite/sqlite-store.ts), for the raw baselines. */
export function openLikeProduct(path: string, options: { readonly?: boolean } = {}): SQLite.Database {
  const db = new SQLite(path, { readonly: options.readonly ?? false });
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
  }
  db.pragma('busy_timeout = 5000');
  return db;
}

