import type { Conversation, HandoffReason, VisitorConversation } from '@servicesystem/protocol';
import type { FileUrls } from '../../auth/fileUrls.js';
import type { Actor } from '../context.js';
import type { ConversationView } from '../conversations/conversationViews.js';
import { presentMessageForConsole, presentMessageForVisitor } from './message.js';
import { presentRating } from './rating.js';

export function presentConversationForConsole(
  view: ConversationView,
  urls: FileUrls,
): Conversation {
  const { conversation: c, visitor, agent } = view;
  return {
    id: c.id,
    channelId: c.channel_id,
    state: c.state,
    visitor: {
      id: visitor.id,
      name: visitor.name,
      avatarUrl: visitor.avatar_url,
      externalId: visitor.external_id,
      attributes: JSON.parse(visitor.attributes) as Record<string, unknown>,
    },
    agent: agent
      ? { id: agent.id, displayName: agent.display_name, avatarUrl: agent.avatar_url }
      : null,
    lastSeq: c.last_seq,
    visitorReadSeq: c.visitor_read_seq,
    agentReadSeq: c.agent_read_seq,
    unread: Number(c.agent_unread),
    queuePosition: c.state === 'queued' ? view.queuePosition : null,
    queueReason: c.state === 'queued' ? view.queueReason : null,
    lastMessage: view.lastMessage ? presentMessageForConsole(view.lastMessage, urls) : null,
    createdAt: c.created_at,
    assignedAt: c.assigned_at,
    endedAt: c.ended_at,
    lastActivityAt: c.last_activity_at,
    snooze:
      c.snoozed_at === null
        ? null
        : {
            since: Number(c.snoozed_at),
            until: c.snoozed_until === null ? null : Number(c.snoozed_until),
          },
    ...(view.labels
      ? { labels: view.labels.map((l) => ({ id: l.id, name: l.name, color: l.color })) }
      : {}),
    ...(view.rating !== undefined
      ? { rating: view.rating ? presentRating(view.rating) : null }
      : {}),
    kind: c.kind,
    leftMessage: view.leftMessage
      ? {
          name: view.leftMessage.name,
          email: view.leftMessage.email,
          phone: view.leftMessage.phone,
          emailReplies: Number(view.leftMessage.email_replies) === 1,
        }
      : null,
    robot:
      c.robot_replies > 0 || c.state === 'robot' || c.handed_off_at !== null
        ? {
            replies: Number(c.robot_replies),
            handedOffAt: c.handed_off_at === null ? null : Number(c.handed_off_at),
            handoffReason: (c.handoff_reason as HandoffReason | null) ?? null,
          }
        : null,
  };
}

export function presentConversationForVisitor(
  view: ConversationView,
  urls: FileUrls,
): VisitorConversation {
  const { conversation: c, agent } = view;
  return {
    id: c.id,
    state: c.state,
    agent: agent ? { name: agent.display_name, avatarUrl: agent.avatar_url } : null,
    lastSeq: c.last_seq,
    visitorReadSeq: c.visitor_read_seq,
    agentReadSeq: c.agent_read_seq,
    unread: Number(c.visitor_unread),
    queuePosition: c.state === 'queued' ? view.queuePosition : null,
    queueReason: c.state === 'queued' ? view.queueReason : null,
    lastMessage: view.lastMessage ? presentMessageForVisitor(view.lastMessage, urls) : null,
    createdAt: c.created_at,
    endedAt: c.ended_at,
    ...(view.rating !== undefined
      ? { rating: view.rating ? presentRating(view.rating) : null }
      : {}),
    kind: c.kind,
    contactEmail: view.leftMessage?.email ?? null,
  };
}

/** The shape for whoever is asking. */
export function presentConversationFor(
  actor: Actor,
  view: ConversationView,
  urls: FileUrls,
): Conversation | VisitorConversation {
  return actor.kind === 'visitor'
    ? presentConversationForVisitor(view, urls)
    : presentConversationForConsole(view, urls);
}
