import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * The robot first line (domain/robot):
 * - `conversations.state` may be `robot`: the channel's robot answers, no agent holds it and it
 *   is not in the queue until it is handed over. `robot_replies` counts the robot's answers,
 *   `handed_off_at` and `handoff_reason` say when and why it went to people.
 * - `messages.sender_type` may be `robot`.
 * - Each channel's robot settings (`robot_*`), its FAQ entries (`faq_entries`), and saved replies
 *   the robot may answer with (`saved_replies.robot_answer`).
 *
 * Widening a CHECK: PostgreSQL replaces the constraint. SQLite cannot alter one, and rebuilding
 * `conversations` and `messages` would copy every row (and, with foreign keys on inside the
 * migration's transaction, a DROP would cascade), so the stored table definition is edited in
 * place: SQLite documents this for changes that do not touch the stored rows, and a CHECK that
 * allows one more value holds for every row it held for. migrate.ts allows the schema edit for
 * this migration's run only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await widenCheck(
    db,
    'conversations',
    'conversations_state_check',
    `state in ('queued', 'active', 'ended')`,
    `state in ('queued', 'active', 'ended', 'robot')`,
  );
  await widenCheck(
    db,
    'messages',
    'messages_sender_type_check',
    `sender_type in ('visitor', 'agent', 'system')`,
    `sender_type in ('visitor', 'agent', 'system', 'robot')`,
  );
  await db.schema
    .alterTable('conversations')
    .addColumn('robot_replies', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('conversations').addColumn('handed_off_at', 'bigint').execute();
  await db.schema.alterTable('conversations').addColumn('handoff_reason', 'text').execute();

  for (const [column, type, fallback] of [
    ['robot_mode', 'text', sql`'off'`],
    ['robot_name', 'text', sql`''`],
    ['robot_greeting', 'text', sql.lit(JSON.stringify(defaultGreeting))],
    ['robot_every_message', 'integer', sql`1`],
    ['robot_instruction', 'text', sql`''`],
  ] as const) {
    await db.schema
      .alterTable('channels')
      .addColumn(column, type, (c) => c.notNull().defaultTo(fallback))
      .execute();
  }
  await db.schema
    .alterTable('channels')
    .addColumn('robot_avatar_file_id', 'text', (c) => c.references('files.id').onDelete('set null'))
    .execute();

  await db.schema
    .createTable('faq_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel_id', 'text', (c) =>
      c.notNull().references('channels.id').onDelete('cascade'),
    )
    // A JSON array of 1 to 20 phrasings.
    .addColumn('questions', 'text', (c) => c.notNull())
    .addColumn('answer', 'text', (c) => c.notNull())
    .addColumn('image_file_id', 'text', (c) => c.references('files.id').onDelete('set null'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('faq_entries_channel')
    .on('faq_entries')
    .columns(['channel_id', 'position'])
    .execute();
  await db.schema
    .alterTable('saved_replies')
    .addColumn('robot_answer', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Reports: ended conversations the robot resolved alone, and handoffs by reason.
  for (const column of robotReportColumns) {
    await db.schema
      .alterTable('report_daily')
      .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  }
}

const robotReportColumns = [
  'robot_resolved',
  'handoff_requested',
  'handoff_unanswered',
  'handoff_follow_up',
  'handoff_media',
  'handoff_model_unsure',
  'handoff_model_failed',
  'handoff_agent',
] as const;

// A copy, not an import: a shipped migration must not change when the app's default does.
const defaultGreeting = {
  'zh-CN': '您好，我是智能助手，可以回答常见问题。需要人工服务时，请点「转人工」。',
  en: "Hi, I'm the assistant and can answer common questions. Choose “Talk to a person” any time.",
};

async function widenCheck(
  db: Kysely<unknown>,
  table: string,
  constraint: string,
  before: string,
  after: string,
): Promise<void> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`alter table ${sql.table(table)} drop constraint ${sql.ref(constraint)}`.execute(db);
    await sql`alter table ${sql.table(table)} add constraint ${sql.ref(constraint)} check (${sql.raw(after)})`.execute(
      db,
    );
    return;
  }
  const version = await sql<{ schema_version: number }>`pragma schema_version`.execute(db);
  const current = Number(version.rows[0]?.schema_version ?? 0);
  await sql`pragma writable_schema = on`.execute(db);
  const edited = await sql`update sqlite_schema set sql = replace(sql, ${before}, ${after})
    where type = 'table' and name = ${table} and instr(sql, ${before}) > 0`.execute(db);
  await sql.raw(`pragma schema_version = ${current + 1}`).execute(db);
  await sql`pragma writable_schema = off`.execute(db);
  if (Number(edited.numAffectedRows ?? 0) !== 1) {
    throw new Error(`${table}: its CHECK (${before}) was not found to widen`);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of robotReportColumns) {
    await db.schema.alterTable('report_daily').dropColumn(column).execute();
  }
  await db.schema.alterTable('saved_replies').dropColumn('robot_answer').execute();
  await db.schema.dropTable('faq_entries').execute();
  for (const column of [
    'robot_avatar_file_id',
    'robot_instruction',
    'robot_every_message',
    'robot_greeting',
    'robot_name',
    'robot_mode',
  ]) {
    await db.schema.alterTable('channels').dropColumn(column).execute();
  }
  for (const column of ['handoff_reason', 'handed_off_at', 'robot_replies']) {
    await db.schema.alterTable('conversations').dropColumn(column).execute();
  }
}
