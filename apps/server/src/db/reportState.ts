import type { Kysely } from 'kysely';
import type { Engine } from './connect.js';
import type { Database } from './schema.js';

/** The `settings` row that says in which zone the report roll-ups are, and any rebuild. */
export const reportStateKey = 'report_rollups';

export interface ReportState {
  /** The IANA zone whose local days the roll-ups count in. */
  zone: string;
  /** `rebuilding`: the roll-ups are being recomputed; conversations up to `cursor` (by id) are
   * in them, later ones are folded by the rebuild, not as they end. */
  status: 'ready' | 'rebuilding';
  cursor: string;
}

/**
 * Reads the state. `share` (a fold) and `update` (a rebuild batch) lock the row on PostgreSQL
 * until the transaction ends, so a fold never decides "the rebuild will count this" while a
 * batch that already read past it commits: one waits for the other. SQLite runs one write at a
 * time, so it needs no lock.
 */
export type ReadReportState = (
  db: Kysely<Database>,
  lock: 'none' | 'share' | 'update',
) => Promise<ReportState | undefined>;

export function createReportStateReader(engine: Engine): ReadReportState {
  return async (db, lock) => {
    let query = db.selectFrom('settings').select('value').where('key', '=', reportStateKey);
    if (engine === 'postgres' && lock === 'share') query = query.forShare();
    if (engine === 'postgres' && lock === 'update') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? (JSON.parse(row.value) as ReportState) : undefined;
  };
}

export async function writeReportState(db: Kysely<Database>, state: ReportState): Promise<void> {
  const value = JSON.stringify(state);
  await db
    .insertInto('settings')
    .values({ key: reportStateKey, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
