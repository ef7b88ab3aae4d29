import { z } from 'zod';
import { Id, Timestamp } from './common.js';

/** What an administrator (or the operator's CLI) did. */
export const AuditAction = z.enum([
  'account.create',
  'account.update',
  'account.disable',
  'account.enable',
  'account.resetPassword',
  'channel.create',
  'channel.update',
  'channel.rotateSecret',
  'channel.delete',
  'savedReply.create',
  'savedReply.update',
  'savedReply.delete',
  'faq.create',
  'faq.update',
  'faq.delete',
  'label.create',
  'label.update',
  'label.delete',
  'visitor.export',
  'visitor.erase',
  'apiKey.create',
  'apiKey.update',
  'apiKey.revoke',
  'webhook.create',
  'webhook.update',
  'webhook.rotateSecret',
  'webhook.delete',
]);
export type AuditAction = z.infer<typeof AuditAction>;

export const AuditTargetType = z.enum([
  'account',
  'channel',
  'savedReply',
  'faqEntry',
  'label',
  'visitor',
  'apiKey',
  'webhook',
]);
export type AuditTargetType = z.infer<typeof AuditTargetType>;

/** A field's value in the log: short values only (names, roles, caps, origins). */
export const AuditValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.string()),
]);
export type AuditValue = z.infer<typeof AuditValue>;

/**
 * One changed field. `from` and `to` are present only for short, non-secret fields; a password,
 * an identity secret or a long text is named without its value.
 */
export const AuditChange = z.object({
  field: z.string(),
  from: AuditValue.optional(),
  to: AuditValue.optional(),
});
export type AuditChange = z.infer<typeof AuditChange>;

export const AuditEntry = z.object({
  id: z.string(),
  at: Timestamp,
  /** Who: an administrator (`account`, with id and username), the operator's command line on the
   * server (`cli`), or the server's first start (`setup`); id and username are null for the last
   * two. */
  actor: z.object({
    kind: z.enum(['account', 'cli', 'setup']),
    id: z.string().nullable(),
    username: z.string().nullable(),
  }),
  action: AuditAction,
  /** `label` is the target's username, channel name or shared reply's shortcut at the time (the
   * target may be gone). */
  target: z.object({ type: AuditTargetType, id: z.string(), label: z.string() }),
  changes: z.array(AuditChange),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

// ---- GET /api/v1/audit (admins)
export const AuditListQuery = z
  .object({
    /** The id of the last entry of the previous page: the next page starts after it. */
    before: Id.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    action: AuditAction.optional(),
    /** Entries by one administrator. */
    actorId: Id.optional(),
    /** Entries about one account or channel. */
    targetId: Id.optional(),
  })
  .strict();
export type AuditListQuery = z.input<typeof AuditListQuery>;

export const AuditListResponse = z.object({
  /** Newest first. */
  entries: z.array(AuditEntry),
  hasMore: z.boolean(),
});
export type AuditListResponse = z.infer<typeof AuditListResponse>;
