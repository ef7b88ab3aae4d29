import { Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './connect.js';
import * as m0001 from './migrations/0001_foundation.js';
import * as m0002 from './migrations/0002_conversations.js';
import * as m0003 from './migrations/0003_files.js';
import * as m0004 from './migrations/0004_audit_log.js';
import * as m0005 from './migrations/0005_first_contact.js';
import * as m0006 from './migrations/0006_file_lifecycle.js';
import * as m0007 from './migrations/0007_notes.js';
import * as m0008 from './migrations/0008_saved_replies.js';
import * as m0009 from './migrations/0009_labels_and_snooze.js';
import * as m0010 from './migrations/0010_search.js';
import * as m0011 from './migrations/0011_visitor_context.js';
import * as m0012 from './migrations/0012_left_messages_and_outbox.js';
import * as m0013 from './migrations/0013_ratings_and_idle.js';
import * as m0014 from './migrations/0014_report_rollups.js';
import * as m0015 from './migrations/0015_webhooks.js';
import * as m0016 from './migrations/0016_api_keys.js';
import * as m0017 from './migrations/0017_retention.js';
import * as m0018 from './migrations/0018_robot.js';

/** Migrations in order. Names sort lexically; never rename or edit one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_conversations': m0002,
  '0003_files': m0003,
  '0004_audit_log': m0004,
  '0005_first_contact': m0005,
  '0006_file_lifecycle': m0006,
  '0007_notes': m0007,
  '0008_saved_replies': m0008,
  '0009_labels_and_snooze': m0009,
  '0010_search': m0010,
  '0011_visitor_context': m0011,
  '0012_left_messages_and_outbox': m0012,
  '0013_ratings_and_idle': m0013,
  '0014_report_rollups': m0014,
  '0015_webhooks': m0015,
  '0016_api_keys': m0016,
  '0017_retention': m0017,
  '0018_robot': m0018,
};

const provider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};

/** Brings the schema up to date. Kysely takes a lock, so nodes starting together are safe. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  // On PostgreSQL, keep Kysely's bookkeeping in our own schema: left unnamed, Kysely looks for its
  // tables in every schema and trips over another application's in the same database.
  const migrationTableSchema =
    db.engine === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db.kysely))
          .rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db: db.kysely,
    provider,
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  // 0018 widens two CHECKs on SQLite by editing the stored table definitions (see there), which
  // better-sqlite3 allows only in its unsafe mode: on for the migrations' run, off after.
  db.allowSchemaEdits?.(true);
  const { error, results } = await migrator.migrateToLatest().finally(() => {
    db.allowSchemaEdits?.(false);
  });
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
