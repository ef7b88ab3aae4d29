import type { Message } from '@servicesystem/protocol';
import type { FileUrls } from '../../auth/fileUrls.js';
import type { MessagesTable } from '../../db/schema.js';
import type { Actor } from '../context.js';
import { presentFile, type AttachmentSnapshot } from './file.js';

function meta(row: MessagesTable): Record<string, unknown> | null {
  return row.meta ? (JSON.parse(row.meta) as Record<string, unknown>) : null;
}

function attachment(row: MessagesTable, urls: FileUrls) {
  return row.attachment
    ? presentFile(JSON.parse(row.attachment) as AttachmentSnapshot, urls)
    : null;
}

/** A message as console users see it: sender ids included. */
export function presentMessageForConsole(row: MessagesTable, urls: FileUrls): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    sender: {
      type: row.sender_type,
      ...(row.sender_id ? { id: row.sender_id } : {}),
      name: row.sender_name,
      avatarUrl: row.sender_avatar_url,
    },
    type: row.type,
    body: row.body,
    attachment: attachment(row, urls),
    meta: meta(row),
    clientMsgId: row.client_msg_id,
    createdAt: row.created_at,
  };
}

/** A message as its visitor sees it: an agent is a display name and an avatar, nothing more. */
export function presentMessageForVisitor(row: MessagesTable, urls: FileUrls): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    sender: {
      type: row.sender_type,
      ...(row.sender_type === 'visitor' && row.sender_id ? { id: row.sender_id } : {}),
      name: row.sender_name,
      avatarUrl: row.sender_avatar_url,
    },
    type: row.type,
    body: row.body,
    attachment: attachment(row, urls),
    meta: meta(row),
    // Only the visitor's own ids echo back; an agent's client ids are theirs.
    clientMsgId: row.sender_type === 'visitor' ? row.client_msg_id : null,
    createdAt: row.created_at,
  };
}

/** The shape for whoever is asking. */
export function presentMessageFor(actor: Actor, row: MessagesTable, urls: FileUrls): Message {
  return actor.kind === 'visitor'
    ? presentMessageForVisitor(row, urls)
    : presentMessageForConsole(row, urls);
}
