import type { SystemMeta } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import type { StoredMessage } from '../../db/messages/messageStore.js';
import type { Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';

/**
 * The server's English words for each kind of system message (clients translate from `meta`).
 * Welcome and off-hours messages say what the channel's admin wrote instead.
 */
export function describeSystemMessage(meta: SystemMeta): string {
  switch (meta.kind) {
    case 'welcome':
    case 'offHours':
      throw new Error(`a ${meta.kind} message says the channel's own text`);
    case 'queued':
      return `All our agents are busy. You are number ${meta.position} in the queue; please wait.`;
    case 'assigned':
      return `${meta.agentName} is now serving you.`;
    case 'transferred':
      return `${meta.fromName ?? 'The conversation'} transferred the conversation to ${meta.toName}.`;
    case 'ended':
      return 'The conversation has ended. Send a message any time to start a new one.';
    case 'idleEnded':
      return `The conversation ended after ${meta.minutes} minutes without a message. Send a message any time to start a new one.`;
    case 'handedOff':
      return 'Connecting you to a person, one moment please.';
  }
}

/** Who system messages are from. */
export const systemSender = { type: 'system', id: null, name: 'System', avatarUrl: null } as const;

/**
 * Writes a system message in a conversation known to be writable (inside the routing lock, which
 * every change of a conversation's state holds).
 */
export async function appendSystemMessage(
  ctx: DomainContext,
  trx: Kysely<Database>,
  now: number,
  conversationId: string,
  meta: SystemMeta,
  body: string = describeSystemMessage(meta),
): Promise<StoredMessage> {
  const appended = await ctx.messages.append(trx, now, {
    conversationId,
    sender: systemSender,
    type: 'system',
    body,
    meta,
  });
  if (!appended) throw new Error(`conversation ${conversationId} vanished`);
  return appended.message;
}
