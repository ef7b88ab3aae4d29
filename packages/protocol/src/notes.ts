import { z } from 'zod';
import { Timestamp } from './common.js';
import { ClientMsgId, MessageText } from './messages.js';

/**
 * An internal note: written by an agent or an administrator inside a conversation, read only by
 * the console users of that conversation (its agent and administrators). Notes are not messages:
 * they have no `seq`, so the visitor's messages stay numbered without gaps, and nothing a
 * visitor can call ever reads them. `afterSeq` places a note in the conversation's timeline:
 * after the message with that seq (0: before the first), in `createdAt` order among notes there.
 */
export const Note = z.object({
  id: z.string(),
  conversationId: z.string(),
  author: z.object({
    /** Null once the author's account is deleted. */
    id: z.string().nullable(),
    name: z.string(),
  }),
  body: z.string(),
  afterSeq: z.number().int().min(0),
  clientNoteId: z.string(),
  createdAt: Timestamp,
});
export type Note = z.infer<typeof Note>;

/** `POST /api/v1/conversations/:id/notes`: idempotent on (author, clientNoteId) like messages. */
export const CreateNoteRequest = z
  .object({ clientNoteId: ClientMsgId, body: MessageText })
  .strict();
export type CreateNoteRequest = z.input<typeof CreateNoteRequest>;

export const NoteResponse = z.object({ note: Note });
export type NoteResponse = z.infer<typeof NoteResponse>;

/** `GET /api/v1/conversations/:id/notes`: every note of the conversation, oldest first. */
export const NoteList = z.object({ notes: z.array(Note) });
export type NoteList = z.infer<typeof NoteList>;

/** Server → console: a note was written in a conversation you can see. */
export const NoteCreatedPayload = z.object({ note: Note });
export type NoteCreatedPayload = z.infer<typeof NoteCreatedPayload>;
