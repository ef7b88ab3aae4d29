import type {
  AgentPresence,
  QueueReason,
  RobotStreamPayload,
  VisitorContext,
} from '@servicesystem/protocol';
import type { StoredMessage } from '../db/messages/messageStore.js';
import type { NotesTable } from '../db/schema.js';
import type { LabelsTable } from '../db/schema.js';
import type { ConversationView } from './conversations/conversationViews.js';

/**
 * What happened, as domain actions report it. Actions return these in their Outcome; once the
 * transaction has committed, the runner (runner.ts) hands them to every listener: the socket
 * fan-out (realtime/fanout.ts decides who hears what), the metrics, the webhook worker's nudge.
 * Webhook events are not listeners' work: an action writes them in its own transaction
 * (webhooks/recordWebhookEvents.ts), so none is lost to a crash between commit and publish.
 */
export type DomainEvent =
  | {
      type: 'message.created';
      view: ConversationView;
      message: StoredMessage;
      /** The caller's own send: the action's answer carries it, so the connection that made the
       * call does not get it again as an event (its other connections do). */
      inReply?: boolean;
      /** A visitor's answer to the robot (`choice` on the send): an entry id or `handoff`. Heard
       * by the robot's turn on this node only (robot/robotTurns.ts); never sent to clients. */
      choice?: string;
    }
  /** The robot's answer while a language model writes it: the visitor and the console users who
   * see the conversation. Not stored; the final text arrives as a message. */
  | { type: 'robot.stream'; view: ConversationView; payload: RobotStreamPayload }
  /** State or agent changed. `previousAgentId`: the agent who just lost the conversation.
   * `consoleOnly`: a change only console users see (labels, snooze): the visitor hears nothing. */
  | {
      type: 'conversation.updated';
      view: ConversationView;
      previousAgentId?: string;
      consoleOnly?: boolean;
    }
  /** An internal note: console users of the conversation only, never its visitor. */
  | { type: 'note.created'; view: ConversationView; note: NotesTable; inReply?: boolean }
  /** The number of queued conversations (console users: the `unassigned` view's count). */
  | { type: 'queue.count'; queued: number }
  /** Labels were created, changed or deleted: every label now. */
  | { type: 'labels.changed'; labels: LabelsTable[] }
  | { type: 'conversation.read'; view: ConversationView; side: 'visitor' | 'agent'; seq: number }
  | { type: 'typing'; view: ConversationView; side: 'visitor' | 'agent'; isTyping: boolean }
  | {
      type: 'queue.positions';
      entries: {
        conversationId: string;
        visitorId: string;
        position: number;
        reason: QueueReason;
      }[];
    }
  | { type: 'agent.status'; presence: AgentPresence }
  /** Every session of an account ended (disabled, password reset), or all but one. */
  | { type: 'account.sessionsEnded'; accountId: string; exceptSessionId?: string }
  | { type: 'session.ended'; sessionId: string }
  /** An administrator erased a visitor: their live connections close (their tokens no longer
   * resolve, so they cannot come back). */
  | { type: 'visitor.erased'; visitorId: string }
  /** An account's role changed: its live sockets must reconnect to hold the new role's rooms. */
  | { type: 'account.roleChanged'; accountId: string }
  /** A visitor with an open conversation changed page: that conversation's console users only. */
  | {
      type: 'visitor.context';
      visitorId: string;
      conversationId: string;
      agentId: string | null;
      context: VisitorContext;
    };

export interface Outcome<T> {
  value: T;
  events: DomainEvent[];
}

/** The caller's own new message: the action's answer carries it (`inReply`). */
export function ownMessageCreated(view: ConversationView, message: StoredMessage): DomainEvent {
  return { type: 'message.created', view, message, inReply: true };
}
