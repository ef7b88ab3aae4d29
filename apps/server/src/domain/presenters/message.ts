import type { Message } from '@servicesystem/protocol';
import type { FileUrls } from '../../auth/fileUrls.js';
import type { StoredMessage } from '../../db/messages/messageStore.js';
import type { Actor } from '../context.js';
import { presentFile } from './file.js';

/**
 * A message for one audience. Console users see every sender id and client id; a visitor sees
 * an agent as a display name and an avatar, nothing more, and only their own client ids.
 */
function presentMessage(row: StoredMessage, urls: FileUrls, forVisitor: boolean): Message {
  const showIds = !forVisitor || row.sender_type === 'visitor';
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    sender: {
      type: row.sender_type,
      ...(showIds && row.sender_id ? { id: row.sender_id } : {}),
      name: row.sender_name,
      avatarUrl: row.sender_avatar_url,
    },
    type: row.type,
    body: row.body,
    attachment: row.attachment ? presentFile(row.attachment, urls) : null,
    meta: row.meta,
    clientMsgId: showIds ? row.client_msg_id : null,
    createdAt: row.created_at,
    ...(row.redacted_at !== null ? { redacted: true as const } : {}),
  };
}

export const presentMessageForConsole = (row: StoredMessage, urls: FileUrls): Message =>
  presentMessage(row, urls, false);

export const presentMessageForVisitor = (row: StoredMessage, urls: FileUrls): Message =>
  presentMessage(row, urls, true);

/** The shape for whoever is asking. */
export function presentMessageFor(actor: Actor, row: StoredMessage, urls: FileUrls): Message {
  return actor.kind === 'visitor'
    ? presentMessageForVisitor(row, urls)
    : presentMessageForConsole(row, urls);
}
