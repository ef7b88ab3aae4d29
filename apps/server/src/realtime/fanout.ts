import {
  ServerEvent,
  type AgentStatusPayload,
  type ConversationReadPayload,
  type ConversationUpdatedPayload,
  type MessageCreatedPayload,
  type NoteCreatedPayload,
  type LabelListResponse,
  type QueueCountPayload,
  type QueuePositionPayload,
  type RobotStreamPayload,
  type TypingPayload,
  type VisitorUpdatedPayload,
} from '@servicesystem/protocol';
import type { FileUrls } from '../auth/fileUrls.js';
import type { ConversationView } from '../domain/conversations/conversationViews.js';
import type { DomainEvent } from '../domain/events.js';
import {
  presentConversationForConsole,
  presentConversationForVisitor,
} from '../domain/presenters/conversation.js';
import {
  presentMessageForConsole,
  presentMessageForVisitor,
} from '../domain/presenters/message.js';
import { presentNote } from '../domain/presenters/note.js';
import { presentLabel } from '../domain/presenters/label.js';
import { rooms } from './rooms.js';

/**
 * Who hears what. This is a security decision, so it lives in this one file: visitors get
 * visitor-shaped payloads in their own room only; the assigned agent and admins get console
 * payloads. Typing and read receipts go to the other side (and admins, who watch everything).
 */
export type Delivery =
  | { kind: 'emit'; rooms: string[]; except?: string[]; event: ServerEvent; payload: unknown }
  | { kind: 'disconnect'; rooms: string[]; except?: string[] };

function consoleRooms(view: ConversationView, extraAgentId?: string): string[] {
  return consoleRoomsOf(view.agent?.id ?? null, extraAgentId);
}

/** Admins and the conversation's agent (and one who just lost it). */
function consoleRoomsOf(agentId: string | null, extraAgentId?: string): string[] {
  const list: string[] = [rooms.admins];
  if (agentId) list.push(rooms.agent(agentId));
  if (extraAgentId && extraAgentId !== agentId) list.push(rooms.agent(extraAgentId));
  return list;
}

export function fanOut(event: DomainEvent, urls: FileUrls): Delivery[] {
  switch (event.type) {
    case 'message.created': {
      const { view, message } = event;
      // The conversation without its lastMessage: that is this message, sent once.
      const { lastMessage: _v, ...visitorConversation } = presentConversationForVisitor(
        { ...view, lastMessage: null },
        urls,
      );
      const { lastMessage: _c, ...consoleConversation } = presentConversationForConsole(
        { ...view, lastMessage: null },
        urls,
      );
      const toVisitor: MessageCreatedPayload = {
        message: presentMessageForVisitor(message, urls),
        conversation: visitorConversation,
      };
      const toConsole: MessageCreatedPayload = {
        message: presentMessageForConsole(message, urls),
        conversation: consoleConversation,
      };
      return [
        {
          kind: 'emit',
          rooms: [rooms.visitor(view.visitor.id)],
          event: ServerEvent.MessageCreated,
          payload: toVisitor,
        },
        {
          kind: 'emit',
          rooms: consoleRooms(view),
          event: ServerEvent.MessageCreated,
          payload: toConsole,
        },
      ];
    }
    case 'conversation.updated': {
      const { view } = event;
      const toVisitor: ConversationUpdatedPayload = {
        conversation: presentConversationForVisitor(view, urls),
      };
      const toConsole: ConversationUpdatedPayload = {
        conversation: presentConversationForConsole(view, urls),
      };
      const console: Delivery = {
        kind: 'emit',
        rooms: consoleRooms(view, event.previousAgentId),
        event: ServerEvent.ConversationUpdated,
        payload: toConsole,
      };
      // Labels and snoozing are the console's business: the visitor hears nothing of them.
      if (event.consoleOnly) return [console];
      return [
        {
          kind: 'emit',
          rooms: [rooms.visitor(view.visitor.id)],
          event: ServerEvent.ConversationUpdated,
          payload: toVisitor,
        },
        console,
      ];
    }
    case 'queue.count': {
      const payload: QueueCountPayload = { queued: event.queued };
      return [
        {
          kind: 'emit',
          rooms: [rooms.admins, rooms.agents],
          event: ServerEvent.QueueCount,
          payload,
        },
      ];
    }
    case 'labels.changed': {
      const payload: LabelListResponse = { labels: event.labels.map(presentLabel) };
      return [
        {
          kind: 'emit',
          rooms: [rooms.admins, rooms.agents],
          event: ServerEvent.LabelsChanged,
          payload,
        },
      ];
    }
    case 'note.created': {
      // Console rooms only: a note never reaches the visitor's room.
      const payload: NoteCreatedPayload = { note: presentNote(event.note) };
      return [
        {
          kind: 'emit',
          rooms: consoleRooms(event.view),
          event: ServerEvent.NoteCreated,
          payload,
        },
      ];
    }
    case 'conversation.read': {
      const payload: ConversationReadPayload = {
        conversationId: event.view.conversation.id,
        side: event.side,
        seq: event.seq,
      };
      return [
        {
          kind: 'emit',
          rooms: [rooms.visitor(event.view.visitor.id), ...consoleRooms(event.view)],
          event: ServerEvent.ConversationRead,
          payload,
        },
      ];
    }
    case 'typing': {
      const payload: TypingPayload = {
        conversationId: event.view.conversation.id,
        side: event.side,
        isTyping: event.isTyping,
      };
      const target =
        event.side === 'visitor'
          ? consoleRooms(event.view)
          : [rooms.visitor(event.view.visitor.id), rooms.admins];
      return [{ kind: 'emit', rooms: target, event: ServerEvent.Typing, payload }];
    }
    case 'queue.positions':
      return event.entries.map((entry) => {
        const payload: QueuePositionPayload = {
          conversationId: entry.conversationId,
          position: entry.position,
          reason: entry.reason,
        };
        return {
          kind: 'emit' as const,
          rooms: [rooms.visitor(entry.visitorId)],
          event: ServerEvent.QueuePosition,
          payload,
        };
      });
    case 'agent.status': {
      const payload: AgentStatusPayload = event.presence;
      return [
        {
          kind: 'emit',
          rooms: [rooms.admins, rooms.agents],
          event: ServerEvent.AgentStatus,
          payload,
        },
      ];
    }
    case 'account.sessionsEnded':
      return [
        {
          kind: 'disconnect',
          rooms: [rooms.agent(event.accountId)],
          ...(event.exceptSessionId ? { except: [rooms.session(event.exceptSessionId)] } : {}),
        },
      ];
    case 'account.roleChanged':
      // The console checks its session on such a disconnect and reconnects with the new role.
      return [{ kind: 'disconnect', rooms: [rooms.agent(event.accountId)] }];
    case 'session.ended':
      return [{ kind: 'disconnect', rooms: [rooms.session(event.sessionId)] }];
    case 'visitor.erased':
      return [{ kind: 'disconnect', rooms: [rooms.visitor(event.visitorId)] }];
    case 'robot.stream': {
      // The robot's preview, like its messages: the visitor's room and the conversation's
      // console users (administrators; the robot's conversations have no agent).
      const payload: RobotStreamPayload = event.payload;
      return [
        {
          kind: 'emit',
          rooms: [rooms.visitor(event.view.visitor.id), ...consoleRooms(event.view)],
          event: ServerEvent.RobotStream,
          payload,
        },
      ];
    }
    case 'visitor.context': {
      // Where the visitor is on the website: the console users of their open conversation, as
      // for a consoleOnly conversation.updated. The visitor's own room hears nothing of it.
      const payload: VisitorUpdatedPayload = {
        visitorId: event.visitorId,
        conversationId: event.conversationId,
        context: event.context,
      };
      return [
        {
          kind: 'emit',
          rooms: consoleRoomsOf(event.agentId),
          event: ServerEvent.VisitorUpdated,
          payload,
        },
      ];
    }
  }
}
