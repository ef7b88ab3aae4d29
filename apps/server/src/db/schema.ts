/**
 * Table types shared by both engines. Timestamps are epoch milliseconds (bigint in PostgreSQL,
 * integer in SQLite); JSON values are stored as text so both engines read them the same way.
 */

export interface AccountsTable {
  id: string;
  username: string;
  display_name: string;
  avatar_url: string | null;
  role: 'admin' | 'agent';
  max_concurrent: number | null;
  password_hash: string;
  disabled_at: number | null;
  status: 'online' | 'away' | 'offline';
  /** The status the agent last chose, applied when their console connects (new: online). */
  chosen_status: 'online' | 'away' | 'offline';
  /** When this agent was last given a conversation: the routing tie-break. */
  last_assigned_at: number | null;
  /** When the agent last went offline; null while online or away. */
  offline_since: number | null;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the bearer token; the token itself is never stored. */
  id: string;
  account_id: string;
  created_at: number;
  last_seen_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface ChannelsTable {
  id: string;
  name: string;
  identity_secret: string;
  /** JSON LocalizedText: `{"zh-CN": …, "en": …}`. */
  welcome_message: string;
  /** JSON LocalizedText. */
  off_hours_message: string;
  /** JSON BusinessHours, or null for always open. */
  business_hours: string | null;
  /** JSON array of origins. */
  allowed_origins: string;
  /** 1: the visitor page asks for a satisfaction rating when a conversation ends; 0: not. */
  rating_enabled: number;
  /** Active conversations with no message for this many minutes end (null: never). */
  idle_end_minutes: number | null;
  /** An agent offline this many minutes hands the channel's conversations back (null: never). */
  absent_agent_minutes: number | null;
  /** Ended conversations and their files are deleted this many days after they end (null: kept;
   * migration 0017). */
  retention_days: number | null;
  /** The robot first line (migration 0018, domain/robot): `off`, `first` (the robot answers
   * first, people on request or when it cannot answer) or `offHours` (only outside business
   * hours). */
  robot_mode: 'off' | 'first' | 'offHours';
  /** The robot's name as visitors see it; '' for the default. */
  robot_name: string;
  /** JSON LocalizedText: what the robot says when a conversation starts ('' none). */
  robot_greeting: string;
  /** 1: the robot answers every visitor message until a person takes over; 0: only the first. */
  robot_every_message: number;
  /** The channel's instruction to the language model (when one is configured). */
  robot_instruction: string;
  /** An uploaded image shown as the robot's avatar; null for the default. */
  robot_avatar_file_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface VisitorsTable {
  id: string;
  channel_id: string;
  /** The host app's user id (identity `sub`); null for anonymous visitors. */
  external_id: string | null;
  name: string;
  avatar_url: string | null;
  /** JSON object from the identity token. */
  attributes: string;
  /** The agent of the visitor's last ended conversation, preferred when they come back. */
  last_agent_id: string | null;
  created_at: number;
  updated_at: number;
  /** When an administrator erased the visitor (migration 0017): an anonymous shell whose tokens
   * no longer resolve; null for everyone else. */
  erased_at: number | null;
}

/** A visitor's context (migration 0011): one JSON document, written by their own page. */
export interface VisitorContextsTable {
  visitor_id: string;
  /** JSON VisitorContext (the protocol's shape). */
  context: string;
  updated_at: number;
}

export interface ConversationsTable {
  id: string;
  channel_id: string;
  visitor_id: string;
  agent_id: string | null;
  /** `robot`: the channel's robot answers it; no agent, not in the queue (migration 0018). */
  state: 'queued' | 'active' | 'ended' | 'robot';
  /** Arrival order, for first-in first-out queueing. */
  queue_order: number;
  /** The seq of the newest message; seqs are 1, 2, 3... with no gaps. */
  last_seq: number;
  visitor_read_seq: number;
  agent_read_seq: number;
  /** The visitor's messages after agent_read_seq; moved by the statements that move either. */
  agent_unread: number;
  /** The agents' messages after visitor_read_seq. */
  visitor_unread: number;
  /** The seq of the last visitor or agent message (what lists preview); 0 when none. */
  preview_seq: number;
  created_at: number;
  assigned_at: number | null;
  first_response_at: number | null;
  ended_at: number | null;
  ended_by: string | null;
  last_activity_at: number;
  /** Set while the agent serving it has hidden (snoozed) it; cleared when it comes back. */
  snoozed_at: number | null;
  /** When a snoozed conversation comes back by itself; null: when the visitor writes. */
  snoozed_until: number | null;
  /** The seq of the visitor's message that last brought it back from snooze (0: none). */
  woken_seq: number;
  /** `message`: left with the leave-a-message form (its contact is in left_messages). */
  kind: 'chat' | 'message';
  /** How many answers the robot gave in it (migration 0018). */
  robot_replies: number;
  /** When the robot handed it to people, and why (HandoffReason); null: it never did. */
  handed_off_at: number | null;
  handoff_reason: string | null;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  seq: number;
  sender_type: 'visitor' | 'agent' | 'system' | 'robot';
  sender_id: string | null;
  sender_name: string;
  sender_avatar_url: string | null;
  type: 'text' | 'system' | 'image' | 'video' | 'robot';
  body: string;
  /** JSON SystemMeta (system messages: the kind and the names involved), JSON RobotMeta (robot
   * messages), or null. */
  meta: string | null;
  attachment_id: string | null;
  /** JSON AttachmentSnapshot of the file, so a message renders without a join. */
  attachment: string | null;
  client_msg_id: string | null;
  created_at: number;
  /** When the message was redacted (its visitor erased, migration 0017): body and file gone. */
  redacted_at: number | null;
}

/** What a message keeps of its file (the `attachment` column's JSON), so it renders without a
 * join. */
export interface AttachmentSnapshot {
  id: string;
  kind: 'image' | 'video';
  mime: string;
  size: number;
  width: number;
  height: number;
  durationMs: number | null;
  name: string;
  previewWidth: number;
  previewHeight: number;
}

export interface FilesTable {
  id: string;
  owner_type: 'visitor' | 'account';
  owner_id: string;
  kind: 'image' | 'video';
  mime: string;
  size: number;
  width: number;
  height: number;
  duration_ms: number | null;
  /** The uploader's file name, kept as metadata only: never part of a storage key. */
  original_name: string;
  storage_key: string;
  /** The image's thumbnail, or the video's cover frame. */
  preview_key: string;
  preview_mime: string;
  preview_size: number;
  preview_width: number;
  preview_height: number;
  published_at: number | null;
  created_at: number;
  /** When a message last took the file; a file never attached is swept a day after upload. */
  attached_at: number | null;
  /** Gone for readers; its stored objects are being removed (then the row). */
  deleted_at: number | null;
}

/** One administrator action (domain/audit). */
export interface AuditLogTable {
  id: string;
  created_at: number;
  /** 'account' (actor_id and actor_username set), 'cli' or 'setup' (both null). */
  actor_kind: 'account' | 'cli' | 'setup';
  actor_id: string | null;
  actor_username: string | null;
  action: string;
  target_type:
    'account' | 'channel' | 'savedReply' | 'faqEntry' | 'label' | 'visitor' | 'apiKey' | 'webhook';
  target_id: string;
  /** The target's username, channel name or shared reply's shortcut at the time. */
  target_label: string;
  /** JSON array of AuditChange. */
  changes: string;
}

/**
 * The columns of a table, every one of them (the compiler refuses a list that misses one). Hot
 * queries name their columns instead of `*`: on PostgreSQL they are kept prepared
 * (db/prepared.ts), and a prepared `select *` fails with "cached plan must not change result
 * type" once a migration adds a column, as during a rolling upgrade.
 */
function everyColumn<T>() {
  return <const C extends readonly (keyof T & string)[]>(
    columns: C & (Exclude<keyof T, C[number]> extends never ? unknown : never),
  ): C => columns;
}

export const visitorColumns = everyColumn<VisitorsTable>()([
  'id',
  'channel_id',
  'external_id',
  'name',
  'avatar_url',
  'attributes',
  'last_agent_id',
  'created_at',
  'updated_at',
  'erased_at',
]);

export const conversationColumns = everyColumn<ConversationsTable>()([
  'id',
  'channel_id',
  'visitor_id',
  'agent_id',
  'state',
  'queue_order',
  'last_seq',
  'visitor_read_seq',
  'agent_read_seq',
  'agent_unread',
  'visitor_unread',
  'preview_seq',
  'created_at',
  'assigned_at',
  'first_response_at',
  'ended_at',
  'ended_by',
  'last_activity_at',
  'snoozed_at',
  'snoozed_until',
  'woken_seq',
  'kind',
  'robot_replies',
  'handed_off_at',
  'handoff_reason',
]);

export const messageColumns = everyColumn<MessagesTable>()([
  'id',
  'conversation_id',
  'seq',
  'sender_type',
  'sender_id',
  'sender_name',
  'sender_avatar_url',
  'type',
  'body',
  'meta',
  'attachment_id',
  'attachment',
  'client_msg_id',
  'created_at',
  'redacted_at',
]);

/** Where embed.js was seen for a channel: blocked (not allowed) or loaded (the bubble showed). */
export interface ChannelOriginsTable {
  channel_id: string;
  origin: string;
  outcome: 'blocked' | 'loaded';
  count: number;
  last_seen_at: number;
}

export interface Database {
  accounts: AccountsTable;
  sessions: SessionsTable;
  channels: ChannelsTable;
  settings: SettingsTable;
  visitors: VisitorsTable;
  visitor_contexts: VisitorContextsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  files: FilesTable;
  audit_log: AuditLogTable;
  channel_origins: ChannelOriginsTable;
  leases: LeasesTable;
  saved_replies: SavedRepliesTable;
  notes: NotesTable;
  labels: LabelsTable;
  conversation_labels: ConversationLabelsTable;
  conversation_ratings: ConversationRatingsTable;
  left_messages: LeftMessagesTable;
  outbox: OutboxTable;
  report_daily: ReportDailyTable;
  api_keys: ApiKeysTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  faq_entries: FaqEntriesTable;
}

/** A visitor's satisfaction rating of one ended conversation (domain/ratings). */
export interface ConversationRatingsTable {
  conversation_id: string;
  /** 1 to 5. */
  score: number;
  comment: string | null;
  created_at: number;
}

/** The contact a visitor left with a `message` conversation (migration 0012). */
export interface LeftMessagesTable {
  conversation_id: string;
  name: string;
  email: string | null;
  phone: string | null;
  /** The language (`zh-CN`, `en`) and IANA time zone its mails are written in. */
  locale: string;
  time_zone: string;
  /** 1: replies go to `email` by mail (mail was configured when the message was left). */
  email_replies: number;
  /** The newest agent message a reply mail has covered, or the visitor had read. */
  mailed_seq: number;
  created_at: number;
}

/** Work that leaves the server, written with the change that causes it (domain/outbox). */
export interface OutboxTable {
  id: string;
  /** What `payload` is: `mail` (a composed mail), `replyMail` (a reply mail still to compose). */
  kind: string;
  /** JSON. */
  payload: string;
  /** The Message-ID a mail carries, the same on every attempt. */
  message_id: string;
  /** One pending row per key (`reply:<conversation id>`); null once the row is claimed. */
  dedupe_key: string | null;
  state: 'pending' | 'sent' | 'failed' | 'skipped';
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

/** Internal notes: console users only; no seq (see migration 0007). */
export interface NotesTable {
  id: string;
  conversation_id: string;
  author_id: string | null;
  author_name: string;
  body: string;
  after_seq: number;
  client_note_id: string;
  created_at: number;
}

/** A label administrators define (domain/labels). */
export interface LabelsTable {
  id: string;
  /** Unique regardless of case. */
  name: string;
  /** `#rrggbb`, lower case. */
  color: string;
  created_at: number;
  updated_at: number;
}

/** A label on a conversation. */
export interface ConversationLabelsTable {
  conversation_id: string;
  label_id: string;
  /** The account that put it there (null once that account is gone). */
  added_by: string | null;
  created_at: number;
}

/** Background work that runs on one node at a time holds a lease by name until `expires_at`. */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** A saved reply (canned response) for the composer. */
export interface SavedRepliesTable {
  id: string;
  /** Null: shared with every console user (administrators manage it); else its owner's own. */
  owner_id: string | null;
  /** Lower case; unique among the shared replies and among one owner's. */
  shortcut: string;
  title: string;
  /** The text, with `{visitor.name}` and `{agent.name}` placeholders as typed. */
  body: string;
  /** 1: a shared reply the channel robots may answer with (its title is the question). */
  robot_answer: number;
  created_at: number;
  updated_at: number;
}

/** A question the channel's robot answers (migration 0018, domain/robot). */
export interface FaqEntriesTable {
  id: string;
  channel_id: string;
  /** JSON array of 1 to 20 phrasings of the question. */
  questions: string;
  answer: string;
  image_file_id: string | null;
  enabled: number;
  /** Order in the console's list (and of "did you mean" ties). */
  position: number;
  created_at: number;
  updated_at: number;
}

/** Reports: counters per local day, channel and agent ('' none), added up as things happen
 * (migration 0014, domain/reports). */
export interface ReportDailyTable {
  /** `YYYY-MM-DD` in the reporting time zone. */
  day: string;
  channel_id: string;
  agent_id: string;
  conversations: number;
  left_messages: number;
  visitor_messages: number;
  agent_messages: number;
  first_response_count: number;
  first_response_sum_ms: number;
  resolution_count: number;
  resolution_sum_ms: number;
  rating_count: number;
  rating_sum: number;
  rating_1: number;
  rating_2: number;
  rating_3: number;
  rating_4: number;
  rating_5: number;
  /** `bucket:count` pairs, space separated, by bucket (domain/reports/timeBuckets.ts). */
  first_response_buckets: string;
  resolution_buckets: string;
  /** Migration 0018: ended conversations the robot resolved alone (it answered, nobody else
   * served), and robot handoffs by HandoffReason, counted on the day the conversation started. */
  robot_resolved: number;
  handoff_requested: number;
  handoff_unanswered: number;
  handoff_follow_up: number;
  handoff_media: number;
  handoff_model_unsure: number;
  handoff_model_failed: number;
  handoff_agent: number;
}

/** A scoped API key (migration 0016, domain/apiKeys). */
export interface ApiKeysTable {
  id: string;
  name: string;
  /** SHA-256 (hex) of the token's secret part. */
  secret_hash: string;
  /** Space-separated scopes. */
  scopes: string;
  /** The console account the key acts as. */
  account_id: string;
  rate_limit_per_minute: number;
  /** The administrator who created it (null once unknown). */
  created_by: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** An endpoint that receives events (migration 0015, domain/webhooks). */
export interface WebhooksTable {
  id: string;
  url: string;
  description: string;
  /** JSON array of event types. */
  events: string;
  /** 1: internal notes are sent too. */
  include_notes: number;
  secret: string;
  /** 1: events are recorded for it. */
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** One event for one endpoint, written with the change it reports (domain/webhooks). */
export interface WebhookDeliveriesTable {
  /** Time-ordered: the newest has the greatest id. */
  id: string;
  webhook_id: string;
  /** The same for every endpoint and every attempt. */
  event_id: string;
  event_type: string;
  /** The conversation the event is about; null for a ping. */
  conversation_id: string | null;
  /** The JSON body sent. */
  payload: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: number;
  /** A node's claim on the row lasts until then (0: unclaimed). */
  claimed_until: number;
  last_attempt_at: number | null;
  last_duration_ms: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}
