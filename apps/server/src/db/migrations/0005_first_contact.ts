import { sql, type Kysely } from 'kysely';

/** The default texts as they were before texts had languages (a channel still on them gets both
 * languages' defaults). */
const oldDefaults = {
  welcome: 'Hello! How can we help you today?',
  offHours: "We're away right now. Leave a message and we'll reply as soon as we can.",
};

/** The texts new channels got when this migration shipped (a frozen copy: domain/channels/channelTexts.ts may change). */
const defaultTexts = {
  welcome: { 'zh-CN': '您好！请问有什么可以帮您？', en: 'Hello! How can we help you today?' },
  offHours: {
    'zh-CN': '我们现在不在线。请留下您的问题，我们会尽快回复。',
    en: "We're away right now. Leave a message and we'll reply as soon as we can.",
  },
};

/**
 * First contact:
 * - unread counts per side (`agent_unread`, `visitor_unread`): the other side's messages after the
 *   reader's position, kept by the same statements that move seqs and read positions; and the
 *   seq of the last visitor or agent message (`preview_seq`), which lists preview;
 * - channel texts per language (the two text columns now hold JSON `{"zh-CN": …, "en": …}`);
 * - where embed.js was seen (`channel_origins`), the agent's chosen status, and who wrote an
 *   audit entry when no administrator did (`actor_kind`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('conversations')
    .addColumn('agent_unread', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('conversations')
    .addColumn('visitor_unread', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('conversations')
    .addColumn('preview_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`
    update conversations set
      preview_seq = coalesce((select max(m.seq) from messages m
        where m.conversation_id = conversations.id and m.sender_type <> 'system'), 0),
      agent_unread = (select count(*) from messages m where m.conversation_id = conversations.id
        and m.seq > conversations.agent_read_seq and m.sender_type = 'visitor'),
      visitor_unread = (select count(*) from messages m where m.conversation_id = conversations.id
        and m.seq > conversations.visitor_read_seq and m.sender_type = 'agent')
    where last_seq > 0`.execute(db);

  const channels = await sql<{ id: string; welcome_message: string; off_hours_message: string }>`
    select id, welcome_message, off_hours_message from channels`.execute(db);
  for (const channel of channels.rows) {
    const texts = (stored: string, old: string, fresh: { 'zh-CN': string; en: string }) =>
      JSON.stringify(stored === old ? fresh : { 'zh-CN': stored, en: stored });
    await sql`update channels set
        welcome_message = ${texts(channel.welcome_message, oldDefaults.welcome, defaultTexts.welcome)},
        off_hours_message = ${texts(channel.off_hours_message, oldDefaults.offHours, defaultTexts.offHours)}
      where id = ${channel.id}`.execute(db);
  }

  await db.schema
    .createTable('channel_origins')
    .addColumn('channel_id', 'text', (c) =>
      c.notNull().references('channels.id').onDelete('cascade'),
    )
    .addColumn('origin', 'text', (c) => c.notNull())
    // 'blocked': embed.js ran there but the channel does not allow it; 'loaded': the bubble showed.
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('channel_origins_pk', ['channel_id', 'outcome', 'origin'])
    .execute();

  // What an agent chose; applied when their console connects. New agents start online.
  await db.schema
    .alterTable('accounts')
    .addColumn('chosen_status', 'text', (c) => c.notNull().defaultTo('online'))
    .execute();

  await db.schema
    .alterTable('audit_log')
    .addColumn('actor_kind', 'text', (c) => c.notNull().defaultTo('account'))
    .execute();
  await sql`update audit_log set actor_kind = 'cli' where actor_id is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_log').dropColumn('actor_kind').execute();
  await db.schema.alterTable('accounts').dropColumn('chosen_status').execute();
  await db.schema.dropTable('channel_origins').execute();
  await db.schema.alterTable('conversations').dropColumn('visitor_unread').execute();
  await db.schema.alterTable('conversations').dropColumn('agent_unread').execute();
  await db.schema.alterTable('conversations').dropColumn('preview_seq').execute();
}
