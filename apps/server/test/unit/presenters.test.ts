import { describe, expect, it } from 'vitest';
import {
  Account,
  AuditEntry,
  Channel,
  Conversation,
  FileInfo,
  Visitor,
  VisitorConversation,
} from '@servicesystem/protocol';
import type { FileVariant } from '../../src/auth/fileUrls.js';
import { presentAccount } from '../../src/domain/presenters/account.js';
import { presentAuditEntry } from '../../src/domain/presenters/audit.js';
import { presentChannel } from '../../src/domain/presenters/channel.js';
import {
  presentConversationFor,
  presentConversationForConsole,
  presentConversationForVisitor,
} from '../../src/domain/presenters/conversation.js';
import { presentFile, snapshotOf } from '../../src/domain/presenters/file.js';
import { presentVisitor } from '../../src/domain/presenters/visitor.js';
import {
  accountRow,
  adminActor,
  agentActor,
  auditRow,
  channelRow,
  conversationView,
  fileRow,
  testFileUrls,
  testNow,
  visitorActor,
  visitorRow,
} from '../support/factories.js';

/**
 * Presenters turn rows into what one audience may see. Each answer is checked against its
 * protocol schema in strict mode: a field the schema does not name (a password hash, a storage
 * key, an agent id for a visitor) fails the test.
 */

/** The signature of a presented URL, checked with the signer: it opens `variant` of `fileId`. */
function opens(url: string, fileId: string, variant: FileVariant): boolean {
  const query = new URL(url, 'http://server.test').searchParams;
  return testFileUrls.verify(fileId, variant, Number(query.get('exp')), query.get('sig') ?? '');
}

describe('presentAccount', () => {
  it('gives console users the profile, never the password hash, status or routing data', () => {
    const row = accountRow({
      id: 'agent-alice',
      username: 'alice',
      display_name: 'Alice A.',
      avatar_url: 'https://cdn.example/alice.png',
      max_concurrent: 4,
      status: 'online',
      last_assigned_at: testNow - 5,
    });
    const account = Account.strict().parse(presentAccount(row));
    expect(account).toEqual({
      id: 'agent-alice',
      username: 'alice',
      displayName: 'Alice A.',
      avatarUrl: 'https://cdn.example/alice.png',
      role: 'agent',
      maxConcurrent: 4,
      enabled: true,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    });
    expect(JSON.stringify(account)).not.toContain(row.password_hash);
  });

  it('tells a disabled account by `enabled: false`; an admin’s role and no cap pass through', () => {
    const disabled = presentAccount(accountRow({ disabled_at: testNow - 1 }));
    expect(disabled.enabled).toBe(false);
    const admin = presentAccount(accountRow({ role: 'admin', max_concurrent: null }));
    expect(admin).toMatchObject({ role: 'admin', maxConcurrent: null, enabled: true });
  });
});

describe('presentChannel', () => {
  const row = channelRow({
    id: 'channel-shop',
    name: 'Shop',
    business_hours: JSON.stringify({
      timezone: 'Europe/Berlin',
      weekly: { mon: [{ open: '09:00', close: '17:00' }] },
    }),
    allowed_origins: JSON.stringify(['https://shop.example']),
  });

  it('gives the identity secret and where embed.js was seen only when asked to', () => {
    const sightings = {
      blockedOrigins: [{ origin: 'https://blocked.example', count: 3, lastSeenAt: testNow }],
      loadedOrigins: [],
    };
    const withSecret = Channel.strict().parse(presentChannel(row, { withSecret: true, sightings }));
    expect(withSecret.identitySecret).toBe(row.identity_secret);
    expect(withSecret.blockedOrigins).toEqual(sightings.blockedOrigins);
    const without = Channel.strict().parse(presentChannel(row, { withSecret: false, sightings }));
    expect('identitySecret' in without).toBe(false);
    expect(JSON.stringify(without)).not.toContain(row.identity_secret);
    expect(JSON.stringify(without)).not.toContain('blocked.example');
    expect(without).toEqual({
      ...withSecret,
      identitySecret: undefined,
      blockedOrigins: undefined,
      loadedOrigins: undefined,
    });
  });

  it('reads the stored JSON: business hours (or null: always open) and allowed origins', () => {
    expect(presentChannel(row, { withSecret: false })).toEqual({
      id: 'channel-shop',
      name: 'Shop',
      // Per language; an empty one is "not given".
      welcomeMessage: { 'zh-CN': '您好，有什么可以帮您？', en: 'Hello! How can we help?' },
      offHoursMessage: { 'zh-CN': '', en: 'We are closed; leave a message.' },
      businessHours: {
        timezone: 'Europe/Berlin',
        weekly: { mon: [{ open: '09:00', close: '17:00' }] },
      },
      allowedOrigins: ['https://shop.example'],
      // Ask for ratings (stored 1); idle end, hand-back and retention off (null).
      ratingEnabled: true,
      idleEndMinutes: null,
      absentAgentMinutes: null,
      retentionDays: null,
      robot: {
        mode: 'off',
        name: '',
        avatarUrl: null,
        greeting: { 'zh-CN': '', en: '' },
        answerEveryMessage: true,
        instruction: '',
      },
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    });
    expect(
      presentChannel(
        channelRow({ rating_enabled: 0, idle_end_minutes: 30, absent_agent_minutes: 10 }),
        { withSecret: false },
      ),
    ).toMatchObject({ ratingEnabled: false, idleEndMinutes: 30, absentAgentMinutes: 10 });
    const alwaysOpen = presentChannel(channelRow({ business_hours: null, allowed_origins: '[]' }), {
      withSecret: false,
    });
    expect(alwaysOpen).toMatchObject({ businessHours: null, allowedOrigins: [] });
  });
});

describe('snapshotOf and presentFile', () => {
  it('keeps what a message needs of its file: no storage keys, owner or publication', () => {
    const row = fileRow({
      id: 'file-photo',
      kind: 'image',
      mime: 'image/jpeg',
      size: 4096,
      width: 1200,
      height: 800,
      original_name: 'holiday.jpg',
      preview_width: 480,
      preview_height: 320,
    });
    expect(snapshotOf(row)).toEqual({
      id: 'file-photo',
      kind: 'image',
      mime: 'image/jpeg',
      size: 4096,
      width: 1200,
      height: 800,
      durationMs: null,
      name: 'holiday.jpg',
      previewWidth: 480,
      previewHeight: 320,
    });
    const shown = JSON.stringify(snapshotOf(row));
    for (const secret of [row.storage_key, row.preview_key, row.owner_id]) {
      expect(shown).not.toContain(secret);
    }
  });

  it('signs an image’s original and thumbnail, each opening only its own variant', () => {
    const file = FileInfo.strict().parse(
      presentFile(snapshotOf(fileRow({ id: 'file-img', kind: 'image' })), testFileUrls),
    );
    expect(file.url).toMatch(/^\/api\/v1\/files\/file-img\?exp=\d+&sig=[\w-]+$/);
    expect(file.previewUrl).toMatch(/^\/api\/v1\/files\/file-img\/thumbnail\?exp=\d+&sig=[\w-]+$/);
    expect(opens(file.url, 'file-img', 'original')).toBe(true);
    expect(opens(file.previewUrl, 'file-img', 'preview')).toBe(true);
    expect(opens(file.url, 'file-img', 'preview')).toBe(false);
    expect(opens(file.previewUrl, 'file-img', 'original')).toBe(false);
    expect(opens(file.url, 'file-other', 'original')).toBe(false);
  });

  it('points a video’s preview at its cover frame and keeps its duration', () => {
    const video = presentFile(
      snapshotOf(fileRow({ id: 'file-vid', kind: 'video', mime: 'video/mp4', duration_ms: 5300 })),
      testFileUrls,
    );
    expect(FileInfo.strict().parse(video)).toMatchObject({ kind: 'video', durationMs: 5300 });
    expect(video.previewUrl).toMatch(/^\/api\/v1\/files\/file-vid\/cover\?/);
    expect(opens(video.previewUrl, 'file-vid', 'preview')).toBe(true);
  });
});

describe('presentVisitor', () => {
  it('shows a visitor themself: whether identified, not the host’s id, attributes or last agent', () => {
    const row = visitorRow({
      id: 'visitor-1',
      external_id: 'host-user-42',
      attributes: JSON.stringify({ plan: 'gold' }),
      last_agent_id: 'agent-previous',
    });
    const visitor = Visitor.strict().parse(presentVisitor(row));
    expect(visitor).toEqual({
      id: 'visitor-1',
      channelId: row.channel_id,
      name: row.name,
      avatarUrl: null,
      identified: true,
      createdAt: row.created_at,
    });
    const shown = JSON.stringify(visitor);
    for (const hidden of ['host-user-42', 'gold', 'agent-previous']) {
      expect(shown).not.toContain(hidden);
    }
    expect(presentVisitor(visitorRow({ external_id: null })).identified).toBe(false);
  });
});

describe('presentAuditEntry', () => {
  it('reads the stored changes and a bigint time (PostgreSQL answers it as a string)', () => {
    const changes = [
      { field: 'role', from: 'agent', to: 'admin' },
      { field: 'password' },
      { field: 'allowedOrigins', from: [], to: ['https://a.example'] },
    ];
    const row = auditRow({
      id: 'audit-1',
      created_at: String(testNow) as unknown as number,
      actor_id: 'admin-root',
      actor_username: 'root',
      action: 'account.update',
      target_type: 'account',
      target_id: 'agent-bob',
      target_label: 'bob',
      changes: JSON.stringify(changes),
    });
    expect(AuditEntry.strict().parse(presentAuditEntry(row))).toEqual({
      id: 'audit-1',
      at: testNow,
      actor: { kind: 'account', id: 'admin-root', username: 'root' },
      action: 'account.update',
      target: { type: 'account', id: 'agent-bob', label: 'bob' },
      changes,
    });
  });

  it('shows the command line and the first start as actors without id or name', () => {
    for (const kind of ['cli', 'setup'] as const) {
      const entry = presentAuditEntry(
        auditRow({
          actor_kind: kind,
          actor_id: null,
          actor_username: null,
          action: 'channel.create',
        }),
      );
      expect(entry.actor).toEqual({ kind, id: null, username: null });
      expect(entry.at).toBe(testNow);
    }
  });
});

describe('presentConversationForConsole and ForVisitor', () => {
  const view = conversationView({
    conversation: {
      id: 'conversation-1',
      last_seq: 9,
      visitor_read_seq: 7,
      agent_read_seq: 4,
      // Of the 5 messages after the agent's read position, 3 are the visitor's; of the 2 after the
      // visitor's, 1 is an agent's (the rest are notices and the reader's own).
      agent_unread: 3,
      visitor_unread: 1,
    },
    visitor: {
      id: 'visitor-9',
      name: 'Vera',
      external_id: 'host-9',
      attributes: JSON.stringify({ plan: 'gold', orders: 3 }),
    },
    agent: { id: 'agent-alice', username: 'alice', display_name: 'Alice', avatar_url: null },
  });

  it('gives console users the visitor’s details, the agent’s id and the agent side’s unread', () => {
    const shown = Conversation.strict().parse(presentConversationForConsole(view, testFileUrls));
    const c = view.conversation;
    expect(shown).toEqual({
      id: 'conversation-1',
      channelId: c.channel_id,
      state: 'active',
      visitor: {
        id: 'visitor-9',
        name: 'Vera',
        avatarUrl: null,
        externalId: 'host-9',
        attributes: { plan: 'gold', orders: 3 },
      },
      agent: { id: 'agent-alice', displayName: 'Alice', avatarUrl: null },
      lastSeq: 9,
      visitorReadSeq: 7,
      agentReadSeq: 4,
      unread: 3,
      queuePosition: null,
      queueReason: null,
      lastMessage: null,
      createdAt: c.created_at,
      assignedAt: c.assigned_at,
      endedAt: null,
      lastActivityAt: c.last_activity_at,
      snooze: null,
      kind: 'chat',
      leftMessage: null,
      // The robot never held it.
      robot: null,
    });
  });

  it('gives the visitor the agent’s name only, and the visitor side’s unread', () => {
    const shown = VisitorConversation.strict().parse(
      presentConversationForVisitor(view, testFileUrls),
    );
    expect(shown).toEqual({
      id: 'conversation-1',
      state: 'active',
      agent: { name: 'Alice', avatarUrl: null },
      lastSeq: 9,
      visitorReadSeq: 7,
      agentReadSeq: 4,
      unread: 1,
      queuePosition: null,
      queueReason: null,
      lastMessage: null,
      createdAt: view.conversation.created_at,
      endedAt: null,
      kind: 'chat',
      contactEmail: null,
    });
    const text = JSON.stringify(shown);
    for (const hidden of ['agent-alice', 'alice', 'host-9', 'gold', 'visitor-9']) {
      expect(text).not.toContain(hidden);
    }
  });

  it('gives console users a left message’s contact, and its visitor only their own address', () => {
    const left = {
      ...conversationView({ conversation: { kind: 'message', state: 'queued' } }),
      leftMessage: {
        conversation_id: 'c',
        name: 'Li <Lei>',
        email: 'li@example.com',
        phone: '+86 138 0000 0000',
        locale: 'en',
        time_zone: 'UTC',
        email_replies: 1,
        mailed_seq: 0,
        created_at: 0,
      },
    };
    expect(
      Conversation.strict().parse(presentConversationForConsole(left, testFileUrls)),
    ).toMatchObject({
      kind: 'message',
      leftMessage: {
        name: 'Li <Lei>',
        email: 'li@example.com',
        phone: '+86 138 0000 0000',
        emailReplies: true,
      },
    });
    const toVisitor = VisitorConversation.strict().parse(
      presentConversationForVisitor(left, testFileUrls),
    );
    expect(toVisitor).toMatchObject({ kind: 'message', contactEmail: 'li@example.com' });
    expect(JSON.stringify(toVisitor)).not.toContain('138');
  });

  it('gives a queue position while queued only, and no agent until one serves it', () => {
    const queued = conversationView({
      conversation: { state: 'queued' },
      queuePosition: 3,
      queueReason: 'nobodyOnline',
    });
    expect(presentConversationForConsole(queued, testFileUrls)).toMatchObject({
      state: 'queued',
      agent: null,
      queuePosition: 3,
      queueReason: 'nobodyOnline',
      assignedAt: null,
    });
    expect(presentConversationForVisitor(queued, testFileUrls)).toMatchObject({
      state: 'queued',
      agent: null,
      queuePosition: 3,
      queueReason: 'nobodyOnline',
    });
    // A position left on a view that is no longer queued is not shown.
    const ended = conversationView({ conversation: { state: 'ended' }, queuePosition: 2 });
    expect(presentConversationForConsole(ended, testFileUrls)).toMatchObject({
      queuePosition: null,
      queueReason: null,
    });
    expect(presentConversationForVisitor(ended, testFileUrls)).toMatchObject({
      state: 'ended',
      queuePosition: null,
      endedAt: ended.conversation.ended_at,
    });
  });

  it('presentConversationFor: the visitor shape for visitors, the console shape for accounts', () => {
    const forVisitor = presentConversationFor(visitorActor(), view, testFileUrls);
    expect(forVisitor).toEqual(presentConversationForVisitor(view, testFileUrls));
    for (const actor of [adminActor(), agentActor()]) {
      expect(presentConversationFor(actor, view, testFileUrls)).toEqual(
        presentConversationForConsole(view, testFileUrls),
      );
    }
  });
});
