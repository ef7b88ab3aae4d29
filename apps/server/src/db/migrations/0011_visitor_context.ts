import type { Kysely } from 'kysely';

/**
 * The visitor's context (page, recent pages, referrer, language, time zone, browser, OS,
 * device, last seen) as one JSON document per visitor, in a table of its own rather than a
 * column of `visitors`: every conversation list and every message's view reads visitor rows,
 * and a page change writes this one often; neither should carry or rewrite the other.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('visitor_contexts')
    .addColumn('visitor_id', 'text', (c) =>
      c.primaryKey().references('visitors.id').onDelete('cascade'),
    )
    // JSON VisitorContext, the protocol's shape.
    .addColumn('context', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('visitor_contexts').execute();
}
