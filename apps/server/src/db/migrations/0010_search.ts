import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { searchTerms } from '../search/searchTerms.js';

/**
 * Full-text search (db/search/searchTerms.ts says how text becomes terms): SQLite keeps each
 * entry's terms in an FTS5 table, PostgreSQL in a `text[]` column with a GIN index. Entries are
 * messages (visitors' and agents' text and captions), internal notes, and each conversation's
 * visitor (name and external id). What is already stored is indexed here, in batches.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (postgres) {
    await sql`create table search_index (
      id bigint generated always as identity primary key,
      kind text not null,
      ref_id text not null,
      conversation_id text not null,
      terms text[] not null
    )`.execute(db);
    await sql`create index search_index_terms on search_index using gin (terms)`.execute(db);
    // An agent's search: their conversations' entries, intersected with the GIN matches.
    await sql`create index search_index_conversation on search_index (conversation_id)`.execute(db);
  } else {
    await sql`create virtual table search_index using fts5(
      terms, kind unindexed, ref_id unindexed, conversation_id unindexed,
      tokenize = 'unicode61 remove_diacritics 0'
    )`.execute(db);
  }
  const add = async (kind: string, refId: string, conversationId: string, text: string) => {
    const terms = searchTerms(text);
    if (terms.length === 0) return;
    await (
      postgres
        ? sql`insert into search_index (terms, kind, ref_id, conversation_id)
          values (${terms}::text[], ${kind}, ${refId}, ${conversationId})`
        : sql`insert into search_index (terms, kind, ref_id, conversation_id)
          values (${terms.join(' ')}, ${kind}, ${refId}, ${conversationId})`
    ).execute(db);
  };

  // Oldest first, so the index's own order (newest last) matches time.
  type Row = { id: string; conversation_id: string; text: string | null };
  const batches: { kind: string; query: (after: string) => Promise<Row[]> }[] = [
    {
      kind: 'visitor',
      query: async (after) =>
        (
          await sql<Row>`select c.id, c.id as conversation_id,
              v.name || ' ' || coalesce(v.external_id, '') as text
            from conversations c join visitors v on v.id = c.visitor_id
            where c.id > ${after} order by c.id limit 1000`.execute(db)
        ).rows,
    },
    {
      kind: 'message',
      query: async (after) =>
        (
          await sql<Row>`select id, conversation_id, body as text from messages
            where id > ${after} and sender_type <> 'system' and body <> ''
            order by id limit 1000`.execute(db)
        ).rows,
    },
    {
      kind: 'note',
      query: async (after) =>
        (
          await sql<Row>`select id, conversation_id, body as text from notes
            where id > ${after} order by id limit 1000`.execute(db)
        ).rows,
    },
  ];
  for (const { kind, query } of batches) {
    for (let after = '', rows = await query(after); rows.length > 0; rows = await query(after)) {
      for (const row of rows) await add(kind, row.id, row.conversation_id, row.text ?? '');
      after = rows[rows.length - 1]!.id;
    }
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table search_index`.execute(db);
}
