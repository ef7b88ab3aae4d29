import { z } from 'zod';
import { Id, LookupText, Timestamp } from './common.js';
import { ConversationState } from './conversations.js';
import { MessageType, SenderType } from './messages.js';

/**
 * Privacy (administrators only): finding a visitor, exporting what the server holds about them,
 * and erasing them. Channel retention is a channel setting (`retentionDays`, channels.ts).
 */

// ---- GET /api/v1/visitors?query=
/** A visitor id, the host app's user id (identity `sub`), or an email address (exact, any case). */
export const VisitorSearchQuery = z
  .object({
    query: LookupText.transform((v) => v.trim()).pipe(
      z.string().min(1, 'must not be empty').max(320, 'must be at most 320 characters'),
    ),
  })
  .strict();
export type VisitorSearchQuery = z.input<typeof VisitorSearchQuery>;

/** What the server holds about one visitor, in numbers. */
export const VisitorRecord = z.object({
  id: z.string(),
  channelId: z.string(),
  channelName: z.string(),
  name: z.string(),
  /** The host app's user id; null for anonymous (and erased) visitors. */
  externalId: z.string().nullable(),
  /** From the identity's `email` attribute or a left message's contact; null when none. */
  email: z.string().nullable(),
  conversations: z.number().int().min(0),
  /** Files they or agents sent in their conversations, not yet deleted. */
  files: z.number().int().min(0),
  firstSeenAt: Timestamp,
  /** Their newest conversation activity, else their last session start. */
  lastSeenAt: Timestamp,
  /** When an administrator erased them; null otherwise. */
  erasedAt: Timestamp.nullable(),
});
export type VisitorRecord = z.infer<typeof VisitorRecord>;

/** At most 20 matches, the most recently seen first. */
export const VisitorSearchResponse = z.object({ visitors: z.array(VisitorRecord) });
export type VisitorSearchResponse = z.infer<typeof VisitorSearchResponse>;

// ---- POST /api/v1/visitors/:id/erase
/** `confirm` must repeat the visitor's id: an erase cannot be undone. */
export const EraseVisitorRequest = z.object({ confirm: Id }).strict();
export type EraseVisitorRequest = z.infer<typeof EraseVisitorRequest>;

export const EraseVisitorResponse = z.object({
  visitor: VisitorRecord,
  /** What this call changed (all zero when the visitor was erased already). */
  erased: z.object({
    /** Open conversations ended first. */
    conversationsEnded: z.number().int().min(0),
    messagesRedacted: z.number().int().min(0),
    filesDeleted: z.number().int().min(0),
  }),
});
export type EraseVisitorResponse = z.infer<typeof EraseVisitorResponse>;

// ---- GET /api/v1/visitors/:id/export: a zip with `visitor.json` (this shape) and
// `files/<file id>-<name>` for every file listed.
export const ExportedFile = z.object({
  id: z.string(),
  name: z.string(),
  mime: z.string(),
  size: z.number().int().min(0),
  /** The file's path in the zip; null when its stored object could not be read. */
  path: z.string().nullable(),
});
export type ExportedFile = z.infer<typeof ExportedFile>;

export const ExportedMessage = z.object({
  id: z.string(),
  seq: z.number().int().min(1),
  sender: z.object({ type: SenderType, name: z.string() }),
  type: MessageType,
  body: z.string(),
  /** Images and videos: the file's id (see `files`). */
  fileId: z.string().nullable(),
  redacted: z.boolean(),
  createdAt: Timestamp,
});
export type ExportedMessage = z.infer<typeof ExportedMessage>;

export const VisitorExport = z.object({
  format: z.literal('servicesystem.visitor-export.v1'),
  exportedAt: Timestamp,
  visitor: z.object({
    id: z.string(),
    channelId: z.string(),
    channelName: z.string(),
    externalId: z.string().nullable(),
    name: z.string(),
    avatarUrl: z.string().nullable(),
    /** The attributes of their last identity token. */
    attributes: z.record(z.string(), z.unknown()),
    /** Pages, language, time zone and device their page reported (VisitorContext). */
    context: z.unknown(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    erasedAt: Timestamp.nullable(),
  }),
  conversations: z.array(
    z.object({
      id: z.string(),
      kind: z.enum(['chat', 'message']),
      state: ConversationState,
      createdAt: Timestamp,
      endedAt: Timestamp.nullable(),
      messages: z.array(ExportedMessage),
      rating: z
        .object({ score: z.number().int(), comment: z.string().nullable(), createdAt: Timestamp })
        .nullable(),
      /** The contact left with the leave-a-message form. */
      leftMessage: z
        .object({
          name: z.string(),
          email: z.string().nullable(),
          phone: z.string().nullable(),
          createdAt: Timestamp,
        })
        .nullable(),
    }),
  ),
  files: z.array(ExportedFile),
});
export type VisitorExport = z.infer<typeof VisitorExport>;
