import { createFileUrls, type FileUrls } from '../../src/auth/fileUrls.js';
import type {
  AccountsTable,
  AuditLogTable,
  ChannelsTable,
  ConversationsTable,
  FilesTable,
  VisitorsTable,
} from '../../src/db/schema.js';
import type { StoredMessage } from '../../src/db/messages/messageStore.js';
import type { AccountActor, VisitorActor } from '../../src/domain/context.js';
import type { ConversationView } from '../../src/domain/conversations/conversationViews.js';

/**
 * Factories for tests that need no database: rows and actors as the domain sees them, with
 * readable ids (`visitor-1`, `agent-2`) and a fixed clock. Each takes the fields a test cares
 * about and fills in the rest.
 */

/** A fixed moment (2026-11-26 10:00 UTC), the clock of every row made here. */
export const testNow = Date.UTC(2026, 10, 26, 10, 0, 0);

let counter = 0;
/** A readable unique id: `visitor-7`. */
export const idOf = (what: string) => `${what}-${++counter}`;

/** The real signer, with a test secret and the fixed clock: its URLs are stable in a test. */
export const testFileUrls: FileUrls = createFileUrls('a-test-secret-for-file-urls', () => testNow);

export function adminActor(overrides: Partial<AccountActor> = {}): AccountActor {
  return {
    kind: 'account',
    role: 'admin',
    accountId: idOf('admin'),
    sessionId: idOf('session'),
    ...overrides,
  };
}

export function agentActor(overrides: Partial<AccountActor> = {}): AccountActor {
  return {
    kind: 'account',
    role: 'agent',
    accountId: idOf('agent'),
    sessionId: idOf('session'),
    ...overrides,
  };
}

export function visitorActor(overrides: Partial<VisitorActor> = {}): VisitorActor {
  return { kind: 'visitor', visitorId: idOf('visitor'), channelId: 'channel-main', ...overrides };
}

export function accountRow(overrides: Partial<AccountsTable> = {}): AccountsTable {
  const id = overrides.id ?? idOf('agent');
  return {
    id,
    username: `user-${id}`,
    display_name: `Name of ${id}`,
    avatar_url: null,
    role: 'agent',
    max_concurrent: null,
    password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
    disabled_at: null,
    status: 'online',
    chosen_status: 'online',
    last_assigned_at: null,
    offline_since: null,
    created_at: testNow - 86_400_000,
    updated_at: testNow - 3_600_000,
    ...overrides,
  };
}

export function visitorRow(overrides: Partial<VisitorsTable> = {}): VisitorsTable {
  const id = overrides.id ?? idOf('visitor');
  return {
    id,
    channel_id: 'channel-main',
    external_id: null,
    name: `Visitor ${id}`,
    avatar_url: null,
    attributes: '{}',
    last_agent_id: null,
    created_at: testNow - 60_000,
    updated_at: testNow - 60_000,
    erased_at: null,
    ...overrides,
  };
}

export function channelRow(overrides: Partial<ChannelsTable> = {}): ChannelsTable {
  return {
    id: idOf('channel'),
    name: 'Website',
    identity_secret: 'identity-secret-of-the-channel',
    welcome_message: JSON.stringify({
      'zh-CN': '您好，有什么可以帮您？',
      en: 'Hello! How can we help?',
    }),
    off_hours_message: JSON.stringify({ 'zh-CN': '', en: 'We are closed; leave a message.' }),
    business_hours: null,
    allowed_origins: '[]',
    rating_enabled: 1,
    idle_end_minutes: null,
    absent_agent_minutes: null,
    retention_days: null,
    robot_mode: 'off',
    robot_name: '',
    robot_greeting: '{"zh-CN":"","en":""}',
    robot_every_message: 1,
    robot_instruction: '',
    robot_avatar_file_id: null,
    created_at: testNow - 86_400_000,
    updated_at: testNow - 3_600_000,
    ...overrides,
  };
}

/** A conversation row; `state` decides the defaults of the timestamps and the agent. */
export function conversationRow(overrides: Partial<ConversationsTable> = {}): ConversationsTable {
  const state = overrides.state ?? 'active';
  return {
    id: idOf('conversation'),
    channel_id: 'channel-main',
    visitor_id: idOf('visitor'),
    agent_id: state === 'queued' ? null : idOf('agent'),
    state,
    queue_order: ++counter,
    last_seq: 3,
    visitor_read_seq: 2,
    agent_read_seq: 1,
    agent_unread: 1,
    visitor_unread: 1,
    preview_seq: 3,
    created_at: testNow - 30_000,
    assigned_at: state === 'queued' ? null : testNow - 20_000,
    first_response_at: null,
    ended_at: state === 'ended' ? testNow - 1_000 : null,
    ended_by: null,
    last_activity_at: testNow - 5_000,
    snoozed_at: null,
    snoozed_until: null,
    woken_seq: 0,
    kind: 'chat',
    robot_replies: 0,
    handed_off_at: null,
    handoff_reason: null,
    ...overrides,
  };
}

export function fileRow(overrides: Partial<FilesTable> = {}): FilesTable {
  const id = overrides.id ?? idOf('file');
  return {
    id,
    owner_type: 'visitor',
    owner_id: idOf('visitor'),
    kind: 'image',
    mime: 'image/png',
    size: 2048,
    width: 640,
    height: 480,
    duration_ms: null,
    original_name: 'photo.png',
    storage_key: `files/${id}`,
    preview_key: `files/${id}.preview`,
    preview_mime: 'image/webp',
    preview_size: 512,
    preview_width: 320,
    preview_height: 240,
    published_at: null,
    created_at: testNow - 10_000,
    attached_at: null,
    deleted_at: null,
    ...overrides,
  };
}

export function auditRow(overrides: Partial<AuditLogTable> = {}): AuditLogTable {
  return {
    id: idOf('audit'),
    created_at: testNow,
    actor_kind: 'account',
    actor_id: 'admin-root',
    actor_username: 'admin',
    action: 'account.create',
    target_type: 'account',
    target_id: 'agent-target',
    target_label: 'alice',
    changes: '[]',
    ...overrides,
  };
}

/**
 * A conversation as presenters and the fan-out get it: an active one served by a named agent,
 * with its visitor, unless told otherwise. The rows agree with each other (ids, state, agent).
 */
export function conversationView(
  overrides: {
    conversation?: Partial<ConversationsTable>;
    visitor?: Partial<VisitorsTable>;
    /** null: nobody serves it (queued, or ended unassigned). */
    agent?: Partial<AccountsTable> | null;
    lastMessage?: ConversationView['lastMessage'];
    queuePosition?: number | null;
    queueReason?: ConversationView['queueReason'];
  } = {},
): ConversationView {
  const visitor = visitorRow(overrides.visitor);
  const state = overrides.conversation?.state ?? 'active';
  const agentRow =
    overrides.agent === null || (overrides.agent === undefined && state === 'queued')
      ? null
      : accountRow({ display_name: 'Alice Agent', username: 'alice', ...overrides.agent });
  const conversation = conversationRow({
    visitor_id: visitor.id,
    channel_id: visitor.channel_id,
    agent_id: agentRow?.id ?? null,
    ...overrides.conversation,
  });
  return {
    conversation,
    visitor,
    agent: agentRow
      ? { id: agentRow.id, display_name: agentRow.display_name, avatar_url: agentRow.avatar_url }
      : null,
    lastMessage: overrides.lastMessage ?? null,
    queuePosition: overrides.queuePosition ?? (state === 'queued' ? 1 : null),
    queueReason: overrides.queueReason ?? (state === 'queued' ? 'busy' : null),
    leftMessage: null,
  };
}

/**
 * A stored message of `view`'s conversation, as the given sender: the visitor's or the agent's
 * text with a client id, or a system message with `meta`. Seq is the conversation's next.
 */
export function messageIn(
  view: ConversationView,
  from: 'visitor' | 'agent' | 'system',
  overrides: Partial<StoredMessage> = {},
): StoredMessage {
  const sender =
    from === 'visitor'
      ? { id: view.visitor.id, name: view.visitor.name, avatar: view.visitor.avatar_url }
      : from === 'agent'
        ? { id: view.agent!.id, name: view.agent!.display_name, avatar: view.agent!.avatar_url }
        : { id: null, name: 'System', avatar: null };
  return {
    id: idOf('message'),
    conversation_id: view.conversation.id,
    seq: view.conversation.last_seq + 1,
    sender_type: from,
    sender_id: sender.id,
    sender_name: sender.name,
    sender_avatar_url: sender.avatar,
    type: from === 'system' ? 'system' : 'text',
    body: from === 'system' ? 'Something happened.' : `A message from the ${from}`,
    meta: from === 'system' ? { kind: 'ended' } : null,
    attachment_id: null,
    attachment: null,
    client_msg_id: from === 'system' ? null : idOf(`client-${from}`),
    created_at: testNow,
    redacted_at: null,
    ...overrides,
  };
}
