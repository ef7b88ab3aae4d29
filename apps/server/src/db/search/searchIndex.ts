import { sql, type Kysely } from 'kysely';
import type { Engine } from '../connect.js';
import { atGroupEnd, groupEndNow } from '../direct.js';
import { prepared } from '../prepared.js';
import type { StoredMessage } from '../messages/messageStore.js';
import type { Database } from '../schema.js';
import { searchTerms } from './searchTerms.js';

/** What search finds: a message, an internal note, or a conversation's visitor (name, ids). */
export type SearchKind = 'message' | 'note' | 'visitor';

export interface SearchEntry {
  kind: SearchKind;
  /** The message's, note's or conversation's id. */
  refId: string;
  conversationId: string;
  /** From `searchTerms` (db/search/searchTerms.ts). */
  terms: string[];
}

export interface SearchHit {
  kind: SearchKind;
  ref_id: string;
  conversation_id: string;
}

/**
 * The search index, one per engine, written in the same transaction (or statement) as what it
 * indexes. SQLite keeps the terms in an FTS5 table; PostgreSQL in a `text[]` column with a GIN
 * index. Both answer the newest entries first and stop at the limit.
 */
export interface SearchIndex {
  add(db: Kysely<Database>, entry: SearchEntry): Promise<void>;
  /** Entries that have every one of `terms`, newest first; with `agentId`, only in the
   * conversations that agent serves now (or served last, once ended). */
  find(
    db: Kysely<Database>,
    terms: string[],
    scope: { agentId?: string | undefined },
    limit: number,
  ): Promise<SearchHit[]>;
}

/** A message's terms, space separated: visitors' and agents' text and captions; none for notices. */
export function messageSearchTerms(message: Pick<StoredMessage, 'sender_type' | 'body'>): string {
  if (message.sender_type === 'system' || message.body === '') return '';
  return searchTerms(message.body).join(' ');
}

interface AddValues {
  kind: SearchKind;
  ref_id: string;
  conversation_id: string;
  terms: string;
}

/** FTS5 query syntax: every term quoted (terms hold only letters and digits), all required. */
const ftsQuery = (terms: string[]) => terms.map((t) => `"${t}"`).join(' ');

const sqliteInsert = prepared<AddValues, never>(
  (_db, slot) =>
    sql`insert into search_index (terms, kind, ref_id, conversation_id)
      values (${slot('terms')}, ${slot('kind')}, ${slot('ref_id')}, ${slot('conversation_id')})`,
);

/**
 * SQLite: an entry is written in the same transaction as what it indexes; inside a group commit,
 * at the group's end, after every work's other writes (db/direct.ts says why). The message store
 * adds a message's entry this way too.
 */
export async function sqliteAdd(db: Kysely<Database>, values: AddValues): Promise<void> {
  if (!atGroupEnd(db, () => sqliteInsert(db, values))) await sqliteInsert(db, values);
}

const postgresAdd = prepared<AddValues, never>(
  (_db, slot) =>
    sql`insert into search_index (terms, kind, ref_id, conversation_id)
      values (string_to_array(${slot('terms')}, ' '), ${slot('kind')}, ${slot('ref_id')},
        ${slot('conversation_id')})`,
);

/** An entry through the engine's insert; an entry without terms is not written. */
async function addEntry(
  insert: (db: Kysely<Database>, values: AddValues) => Promise<unknown>,
  db: Kysely<Database>,
  entry: SearchEntry,
): Promise<void> {
  if (entry.terms.length === 0) return;
  await insert(db, {
    kind: entry.kind,
    ref_id: entry.refId,
    conversation_id: entry.conversationId,
    terms: entry.terms.join(' '),
  });
}

class SqliteSearchIndex implements SearchIndex {
  add(db: Kysely<Database>, entry: SearchEntry): Promise<void> {
    return addEntry(sqliteAdd, db, entry);
  }

  async find(
    db: Kysely<Database>,
    terms: string[],
    scope: { agentId?: string | undefined },
    limit: number,
  ): Promise<SearchHit[]> {
    await groupEndNow(db); // inside a group commit, with what it added
    const mine =
      scope.agentId === undefined
        ? sql``
        : sql`join conversations c on c.id = search_index.conversation_id
            and c.agent_id = ${scope.agentId}`;
    const { rows } = await sql<SearchHit>`
      select search_index.kind, search_index.ref_id, search_index.conversation_id
      from search_index ${mine}
      where search_index.terms match ${ftsQuery(terms)}
      order by search_index.rowid desc
      limit ${limit}`.execute(db);
    return rows;
  }
}

/**
 * PostgreSQL: the newest entries first, then the rest. A query's terms come from overlapping
 * pairs and triples, so they always occur together; the planner takes them as independent, expects
 * few rows, and reads every match through the GIN index before sorting (155,000 of 1,000,000 for
 * "refund": 280 ms). So the newest `recentWindow` entries are searched first, newest first, which
 * is quick for common words; only when they hold too few matches are older entries searched,
 * through the GIN index and without sorting, stopping at the limit (quick for rare words).
 */
const defaultRecentWindow = 20_000;

class PostgresSearchIndex implements SearchIndex {
  constructor(private readonly recentWindow: number) {}

  add(db: Kysely<Database>, entry: SearchEntry): Promise<void> {
    return addEntry(postgresAdd, db, entry);
  }

  async find(
    db: Kysely<Database>,
    terms: string[],
    scope: { agentId?: string | undefined },
    limit: number,
  ): Promise<SearchHit[]> {
    const mine =
      scope.agentId === undefined
        ? sql``
        : sql`join conversations c on c.id = s.conversation_id and c.agent_id = ${scope.agentId}`;
    type Row = SearchHit & { id: string };
    const recent = await sql<Row>`
      select s.id, s.kind, s.ref_id, s.conversation_id
      from (select * from search_index order by id desc limit ${this.recentWindow}) s ${mine}
      where s.terms @> ${terms}::text[]
      order by s.id desc
      limit ${limit}`.execute(db);
    const hits: Row[] = recent.rows;
    if (hits.length < limit) {
      // An agent's older matches through their conversations' entries (a btree on
      // conversation_id, intersected with the GIN matches): joining every GIN match to the
      // agent's conversations instead read 20,000 rows for a two-word query (100 ms).
      const theirs =
        scope.agentId === undefined
          ? sql``
          : sql`and s.conversation_id = any(array(
              select id from conversations where agent_id = ${scope.agentId}))`;
      const older = await sql<Row>`
        select s.id, s.kind, s.ref_id, s.conversation_id
        from search_index s
        where s.terms @> ${terms}::text[] ${theirs}
          and s.id < (select coalesce(min(id), 0) from
            (select id from search_index order by id desc limit ${this.recentWindow}) w)
        limit ${limit - hits.length}`.execute(db);
      hits.push(...older.rows.sort((a, b) => Number(b.id) - Number(a.id)));
    }
    return hits.map(({ kind, ref_id, conversation_id }) => ({ kind, ref_id, conversation_id }));
  }
}

/** `recentWindow` (PostgreSQL): how many of the newest entries are searched first (tests). */
export function createSearchIndex(
  engine: Engine,
  { recentWindow = defaultRecentWindow } = {},
): SearchIndex {
  return engine === 'postgres' ? new PostgresSearchIndex(recentWindow) : new SqliteSearchIndex();
}

/**
 * Removes entries, the same statement on both engines: every entry of the conversations
 * `conversationIds` (retention deleting them), or the entries of the messages `messageIds` and
 * the visitor entries of the conversations `visitorOf` (an erase). On SQLite `conversation_id`
 * and `ref_id` are unindexed FTS5 columns: a scan of the index, which background work and a rare
 * erase can afford.
 */
export async function removeSearchEntries(
  db: Kysely<Database>,
  which: { conversationIds?: string[]; messageIds?: string[]; visitorOf?: string[] },
): Promise<void> {
  const list = (ids: string[]) => sql.join(ids.map((id) => sql`${id}`));
  // SQLite: entries this group added are written first, so that none outlives its removal.
  await groupEndNow(db);
  if (which.conversationIds?.length) {
    await sql`delete from search_index
      where conversation_id in (${list(which.conversationIds)})`.execute(db);
  }
  if (which.messageIds?.length) {
    await sql`delete from search_index
      where kind = 'message' and ref_id in (${list(which.messageIds)})`.execute(db);
  }
  if (which.visitorOf?.length) {
    await sql`delete from search_index
      where kind = 'visitor' and ref_id in (${list(which.visitorOf)})`.execute(db);
  }
}
