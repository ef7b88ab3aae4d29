import { sql, type Kysely } from 'kysely';

/**
 * The conversation engine: visitors, conversations, messages, agent status, channel schedules,
 * and a settings table for server-wide secrets. Portable types only (SQLite and PostgreSQL).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .alterTable('accounts')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('offline'))
    .execute();
  await db.schema.alterTable('accounts').addColumn('last_assigned_at', 'bigint').execute();

  await db.schema
    .alterTable('channels')
    .addColumn('off_hours_message', 'text', (c) =>
      c
        .notNull()
        .defaultTo("We're away right now. Leave a message and we'll reply as soon as we can."),
    )
    .execute();
  await db.schema.alterTable('channels').addColumn('business_hours', 'text').execute();

  await db.schema
    .createTable('visitors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) =>
      c.notNull().references('channels.id').onDelete('cascade'),
    )
    .addColumn('external_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('avatar_url', 'text')
    .addColumn('attributes', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('last_agent_id', 'text', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('visitors_channel_external')
    .on('visitors')
    .columns(['channel_id', 'external_id'])
    .unique()
    .where(sql.ref('external_id'), 'is not', null)
    .execute();

  await db.schema
    .createTable('conversations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) =>
      c.notNull().references('channels.id').onDelete('cascade'),
    )
    .addColumn('visitor_id', 'text', (c) =>
      c.notNull().references('visitors.id').onDelete('cascade'),
    )
    .addColumn('agent_id', 'text', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('queued', 'active', 'ended')`),
    )
    .addColumn('queue_order', 'bigint', (c) => c.notNull())
    .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('visitor_read_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('agent_read_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('assigned_at', 'bigint')
    .addColumn('first_response_at', 'bigint')
    .addColumn('ended_at', 'bigint')
    .addColumn('ended_by', 'text')
    .addColumn('last_activity_at', 'bigint', (c) => c.notNull())
    .execute();
  // One open conversation per visitor, enforced by the database.
  await db.schema
    .createIndex('conversations_one_open_per_visitor')
    .on('conversations')
    .column('visitor_id')
    .unique()
    .where(sql.ref('state'), '!=', 'ended')
    .execute();
  await db.schema
    .createIndex('conversations_visitor')
    .on('conversations')
    .columns(['visitor_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('conversations_agent_state')
    .on('conversations')
    .columns(['agent_id', 'state', 'last_activity_at'])
    .execute();
  await db.schema
    .createIndex('conversations_state_queue')
    .on('conversations')
    .columns(['state', 'queue_order'])
    .execute();
  await db.schema
    .createIndex('conversations_activity')
    .on('conversations')
    .column('last_activity_at')
    .execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('conversation_id', 'text', (c) =>
      c.notNull().references('conversations.id').onDelete('cascade'),
    )
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('sender_type', 'text', (c) =>
      c.notNull().check(sql`sender_type in ('visitor', 'agent', 'system')`),
    )
    .addColumn('sender_id', 'text')
    .addColumn('sender_name', 'text', (c) => c.notNull())
    .addColumn('sender_avatar_url', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('meta', 'text')
    // Media messages (images, videos) will reference an uploaded file here.
    .addColumn('attachment_id', 'text')
    .addColumn('client_msg_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('messages_conversation_seq', ['conversation_id', 'seq'])
    .execute();
  // Idempotent sends: one message per (sender, clientMsgId).
  await db.schema
    .createIndex('messages_sender_client_msg_id')
    .on('messages')
    .columns(['sender_id', 'client_msg_id'])
    .unique()
    .where(sql.ref('client_msg_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('messages').execute();
  await db.schema.dropTable('conversations').execute();
  await db.schema.dropTable('visitors').execute();
  await db.schema.dropTable('settings').execute();
}
