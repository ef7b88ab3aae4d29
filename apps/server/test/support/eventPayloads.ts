import type { z } from 'zod';
import {
  AgentStatusPayload,
  ConversationReadPayload,
  ConversationUpdatedPayload,
  LabelListResponse,
  MessageCreatedPayload,
  NoteCreatedPayload,
  QueueCountPayload,
  QueuePositionPayload,
  RobotStreamPayload,
  ServerEvent,
  TypingPayload,
  VisitorUpdatedPayload,
} from '@servicesystem/protocol';

/** The payload schema of every server → client event (no server code: unit tests use it too). */
export const serverEventPayloads = {
  [ServerEvent.MessageCreated]: MessageCreatedPayload,
  [ServerEvent.ConversationUpdated]: ConversationUpdatedPayload,
  [ServerEvent.ConversationRead]: ConversationReadPayload,
  [ServerEvent.Typing]: TypingPayload,
  [ServerEvent.QueuePosition]: QueuePositionPayload,
  [ServerEvent.AgentStatus]: AgentStatusPayload,
  [ServerEvent.NoteCreated]: NoteCreatedPayload,
  [ServerEvent.QueueCount]: QueueCountPayload,
  [ServerEvent.LabelsChanged]: LabelListResponse,
  [ServerEvent.VisitorUpdated]: VisitorUpdatedPayload,
  [ServerEvent.RobotStream]: RobotStreamPayload,
} satisfies Record<ServerEvent, z.ZodType>;

export type PayloadOf<E extends ServerEvent> = z.infer<(typeof serverEventPayloads)[E]>;
