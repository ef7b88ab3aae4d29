import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { prepared, preparedName } from '../../src/db/prepared.js';
import { createMessageStore } from '../../src/db/messages/messageStore.js';
import { findConversationOrThrow } from '../../src/domain/conversations/conversationViews.js';
import { createTestDatabase, testEngine, type TestDatabase } from '../support/testDatabase.js';

/**
 * Hot queries are compiled once and run with new values each time; on PostgreSQL each connection
 * keeps them as named prepared statements (parsed and planned once), and nothing else.
 */
let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = connectDatabase(
    testEngine === 'sqlite'
      ? { engine: 'sqlite', file: database.url.slice('sqlite:'.length) }
      : { engine: 'postgres', url: database.url },
  );
  await migrateToLatest(db);
  await db.kysely
    .insertInto('settings')
    .values([
      { key: 'prepared-a', value: 'one' },
      { key: 'prepared-b', value: 'two' },
    ])
    .execute();
});

afterAll(async () => {
  await db.close();
  await database.drop();
});

const settingByKey = prepared<{ key: string }, { value: string }>((kysely, slot) =>
  kysely.selectFrom('settings').select('value').where('key', '=', slot('key')),
);

it('answers each run with its own values', async () => {
  expect(await settingByKey(db.kysely, { key: 'prepared-a' })).toEqual([{ value: 'one' }]);
  expect(await settingByKey(db.kysely, { key: 'prepared-b' })).toEqual([{ value: 'two' }]);
  expect(await settingByKey(db.kysely, { key: 'none' })).toEqual([]);
  // Inside a transaction too, seeing the transaction's own writes.
  await db.kysely.transaction().execute(async (trx) => {
    await trx
      .updateTable('settings')
      .set({ value: 'uno' })
      .where('key', '=', 'prepared-a')
      .execute();
    expect(await settingByKey(trx, { key: 'prepared-a' })).toEqual([{ value: 'uno' }]);
  });
});

it.runIf(testEngine === 'postgres')(
  'keeps hot statements prepared on each PostgreSQL connection, and only those',
  async () => {
    await db.kysely.connection().execute(async (conn) => {
      expect(await settingByKey(conn, { key: 'prepared-b' })).toEqual([{ value: 'two' }]);
      await sql`select ${'not hot'} as cold`.execute(conn);
      const { rows } = await sql<{
        name: string;
        statement: string;
      }>`select name, statement from pg_prepared_statements`.execute(conn);
      const hot = rows.find((row) => row.statement.includes('"settings"'));
      expect(hot?.name).toMatch(/^ss_[0-9a-f]{24}$/);
      expect(preparedName(hot!.statement)).toBe(hot!.name);
      expect(rows.some((row) => row.statement.includes('cold'))).toBe(false);
      // Run again on the same connection: the statement is reused, not prepared a second time.
      expect(await settingByKey(conn, { key: 'prepared-a' })).toEqual([{ value: 'uno' }]);
      const again = await sql<{
        n: number;
      }>`select count(*)::int as n from pg_prepared_statements where name = ${hot!.name}`.execute(
        conn,
      );
      expect(again.rows[0]!.n).toBe(1);
    });
  },
);

it.runIf(testEngine === 'postgres')(
  'keeps working on a connection after a migration adds a column (a rolling upgrade)',
  async () => {
    await db.kysely.connection().execute(async (conn) => {
      const messages = createMessageStore(testEngine);
      const appendTo = (id: string) =>
        messages.append(conn, Date.now(), {
          conversationId: id,
          sender: { type: 'system', id: null, name: 'System', avatarUrl: null },
          type: 'system',
          body: 'x',
        });
      // Prepared on this connection: the conversation look-up and the seq update.
      await expect(findConversationOrThrow(conn, 'no-such-conversation')).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await appendTo('no-such-conversation')).toBeUndefined();
      // What a newer node's migration does while this one runs.
      await sql`alter table conversations add column added_later text`.execute(conn);
      await expect(findConversationOrThrow(conn, 'no-such-conversation')).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
      expect(await appendTo('no-such-conversation')).toBeUndefined();
      await sql`alter table conversations drop column added_later`.execute(conn);
    });
  },
);

it.runIf(testEngine === 'sqlite')(
  'hands SQLite each value as +?: same matches, same index, no value to re-plan by',
  async () => {
    const query = db.kysely
      .selectFrom('conversations as c')
      .innerJoin('visitors as v', 'v.id', 'c.visitor_id')
      .select(['c.id', 'v.name'])
      .where('c.id', '=', 'conv-1')
      .compile();
    expect(query.sql).toMatch(/where "c"\."id" = \+\?$/);
    expect(query.sql.replaceAll('+?', '')).not.toContain('?');
    // The index still finds the value.
    const plan = await db.kysely.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
    );
    expect(plan.rows.map((row) => row.detail).join('\n')).toMatch(
      /SEARCH c USING INDEX sqlite_autoindex_conversations_1 \(id=\?\)/,
    );
    // The column's affinity still applies to the value: an integer column finds the text '7'.
    await sql`create table affinity_check (n integer)`.execute(db.kysely);
    await sql`insert into affinity_check (n) values (7)`.execute(db.kysely);
    const byText = db.kysely
      .selectFrom('affinity_check' as never)
      .select(sql<number>`n`.as('n'))
      .where(sql.ref('n'), '=', '7');
    expect(byText.compile().sql).toContain('= +?');
    expect(await byText.execute()).toEqual([{ n: 7 }]);
  },
);
