import type { Kysely } from 'kysely';
import type { Database } from './tables.ts';

/** The database as every repository sees it, whichever engine is behind it. */
export type Db = Kysely<Database>;
