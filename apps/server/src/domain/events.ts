import type { AgentPresence } from '@servicesystem/protocol';
import type { MessagesTable } from '../db/schema.js';
import type { ConversationView } from './conversations/conversationViews.js';

/**
 * What happened, as domain actions report it. Actions return these; after the transaction has
 * committed, the transport hands them to the publisher, whose fan-out decides who hears what.
 */
export type DomainEvent =
  | { type: 'message.created'; view: ConversationView; message: MessagesTable }
  /** State or agent changed. `previousAgentId`: the agent who just lost the conversation. */
  | { type: 'conversation.updated'; view: ConversationView; previousAgentId?: string }
  | { type: 'conversation.read'; view: ConversationView; side: 'visitor' | 'agent'; seq: number }
  | { type: 'typing'; view: ConversationView; side: 'visitor' | 'agent'; isTyping: boolean }
  | {
      type: 'queue.positions';
      entries: { conversationId: string; visitorId: string; position: number }[];
    }
  | { type: 'agent.status'; presence: AgentPresence }
  /** Every session of an account ended (disabled, password reset), or all but one. */
  | { type: 'account.sessionsEnded'; accountId: string; exceptSessionId?: string }
  | { type: 'session.ended'; sessionId: string }
  /** An account's role changed: its live sockets must reconnect to hold the new role's rooms. */
  | { type: 'account.roleChanged'; accountId: string };

export interface Outcome<T> {
  value: T;
  events: DomainEvent[];
}
