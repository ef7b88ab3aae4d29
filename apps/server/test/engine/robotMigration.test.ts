import { Migrator, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest, migrations } from '../../src/db/migrate.js';
import { accountRow, channelRow, conversationRow, visitorRow } from '../support/factories.js';
import { createTestDatabase, testEngine, type TestDatabase } from '../support/testDatabase.js';

/**
 * Migration 0018 widens two CHECKs (conversation states, message senders). PostgreSQL replaces
 * the constraints; SQLite has its stored table definitions edited in place, which must leave
 * every row, index and foreign key as it was and the checks still refusing what they refused.
 */
let database: TestDatabase;
let db: Db;
let raw: Kysely<any>;

const before0018 = <T extends object>(row: T): Partial<T> =>
  Object.fromEntries(
    Object.entries(row).filter(
      ([key]) => !key.startsWith('robot_') && key !== 'handed_off_at' && key !== 'handoff_reason',
    ),
  ) as Partial<T>;

beforeAll(async () => {
  database = await createTestDatabase();
  db = connectDatabase(
    testEngine === 'sqlite'
      ? { engine: 'sqlite', file: database.url.slice('sqlite:'.length) }
      : { engine: 'postgres', url: database.url },
  );
  raw = db.kysely as unknown as Kysely<any>;
  const schema =
    db.engine === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(raw)).rows[0]?.s
      : undefined;
  const upTo0017 = new Migrator({
    db: raw,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error } = await upTo0017.migrateTo('0017_retention');
  expect(error).toBeUndefined();

  await raw
    .insertInto('accounts')
    .values(accountRow({ id: 'agent-1', role: 'agent' }))
    .execute();
  await raw
    .insertInto('channels')
    .values(before0018(channelRow({ id: 'channel-main' })))
    .execute();
  await raw
    .insertInto('visitors')
    .values(visitorRow({ id: 'visitor-1' }))
    .execute();
  await raw
    .insertInto('conversations')
    .values(
      before0018(
        conversationRow({
          id: 'conversation-old',
          visitor_id: 'visitor-1',
          agent_id: 'agent-1',
          state: 'ended',
          last_seq: 1,
        }),
      ),
    )
    .execute();
  await raw
    .insertInto('messages')
    .values({
      id: 'message-old',
      conversation_id: 'conversation-old',
      seq: 1,
      sender_type: 'agent',
      sender_id: 'agent-1',
      sender_name: 'Alice',
      sender_avatar_url: null,
      type: 'text',
      body: 'kept through the upgrade',
      meta: null,
      attachment_id: null,
      attachment: null,
      client_msg_id: 'c-1',
      created_at: 1,
      redacted_at: null,
    })
    .execute();
  expect(await migrateToLatest(db)).toEqual(['0018_robot']);
});

afterAll(async () => {
  await db?.close();
  await database?.drop();
});

it('keeps every row and lets conversations be with the robot and messages be from it', async () => {
  const old = await raw
    .selectFrom('conversations')
    .select(['state', 'robot_replies', 'handoff_reason'])
    .where('id', '=', 'conversation-old')
    .executeTakeFirstOrThrow();
  expect(old).toEqual({ state: 'ended', robot_replies: 0, handoff_reason: null });
  const channel = await raw
    .selectFrom('channels')
    .select(['robot_mode', 'robot_every_message', 'robot_greeting'])
    .executeTakeFirstOrThrow();
  expect(channel.robot_mode).toBe('off');
  expect(Number(channel.robot_every_message)).toBe(1);
  expect(JSON.parse(channel.robot_greeting as string)).toMatchObject({
    'zh-CN': expect.stringContaining('智能助手'),
    en: expect.stringContaining('assistant'),
  });

  await raw
    .insertInto('conversations')
    .values(
      conversationRow({
        id: 'conversation-robot',
        visitor_id: 'visitor-1',
        agent_id: null,
        state: 'robot',
        last_seq: 1,
      }),
    )
    .execute();
  await raw
    .insertInto('messages')
    .values({
      id: 'message-robot',
      conversation_id: 'conversation-robot',
      seq: 1,
      sender_type: 'robot',
      sender_id: null,
      sender_name: 'Assistant',
      sender_avatar_url: null,
      type: 'robot',
      body: 'Hello',
      meta: null,
      attachment_id: null,
      attachment: null,
      client_msg_id: null,
      created_at: 2,
      redacted_at: null,
    })
    .execute();
  const messages = await raw.selectFrom('messages').select(['id', 'body']).orderBy('id').execute();
  expect(messages).toEqual([
    { id: 'message-old', body: 'kept through the upgrade' },
    { id: 'message-robot', body: 'Hello' },
  ]);
});

it('still refuses states and senders nobody defined', async () => {
  await expect(
    raw
      .updateTable('conversations')
      .set({ state: 'sleeping' })
      .where('id', '=', 'conversation-old')
      .execute(),
  ).rejects.toThrow(/check/i);
  await expect(
    raw
      .updateTable('messages')
      .set({ sender_type: 'martian' })
      .where('id', '=', 'message-old')
      .execute(),
  ).rejects.toThrow(/check/i);
});

it('keeps the one-open-conversation index and the cascade from conversations to messages', async () => {
  // The robot conversation is the visitor's open one: a second open one is refused.
  await expect(
    raw
      .insertInto('conversations')
      .values(
        conversationRow({
          id: 'conversation-second',
          visitor_id: 'visitor-1',
          state: 'queued',
          agent_id: null,
        }),
      )
      .execute(),
  ).rejects.toThrow(/unique|duplicate/i);
  await raw.deleteFrom('conversations').where('id', '=', 'conversation-robot').execute();
  const left = await raw
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', 'conversation-robot')
    .execute();
  expect(left).toEqual([]);
});

it.skipIf(testEngine !== 'sqlite')(
  'leaves the SQLite file whole, and schema edits off again after the migrations',
  async () => {
    const check = await sql<{ integrity_check: string }>`pragma integrity_check`.execute(raw);
    expect(check.rows).toEqual([{ integrity_check: 'ok' }]);
    await sql`pragma writable_schema = on`.execute(raw);
    await expect(
      sql`update sqlite_schema set sql = sql where name = 'conversations'`.execute(raw),
    ).rejects.toThrow(/may not be modified/);
    await sql`pragma writable_schema = off`.execute(raw);
  },
);
