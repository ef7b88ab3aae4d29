import { z } from 'zod';
import { LookupText, Timestamp } from './common.js';
import { Conversation } from './conversations.js';

// ---- GET /api/v1/search
/** What to find: 2 to 100 characters; words separated by spaces must all occur. */
export const SearchQuery = z
  .object({
    q: LookupText.trim().min(2, 'must be at least 2 characters').max(100),
    limit: z.coerce.number().int().min(1).max(50).default(20),
  })
  .strict();
export type SearchQuery = z.input<typeof SearchQuery>;

/** Where in the conversation the words were found. */
export const SearchMatchKind = z.enum(['message', 'note', 'visitor']);
export type SearchMatchKind = z.infer<typeof SearchMatchKind>;

export const SearchMatch = z.object({
  kind: SearchMatchKind,
  /** A message's id and seq (open the conversation there); null otherwise. */
  messageId: z.string().nullable(),
  seq: z.number().int().nullable(),
  /** An internal note's id; null otherwise. */
  noteId: z.string().nullable(),
  createdAt: Timestamp,
  /**
   * Plain text around the words (never HTML), and where the words lie in it: `[start, end)`
   * offsets in UTF-16 code units, in order, not overlapping. Show them highlighted.
   */
  snippet: z.object({
    text: z.string(),
    highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
  }),
});
export type SearchMatch = z.infer<typeof SearchMatch>;

/** One conversation per result, with its newest match; newest matches first. */
export const SearchResult = z.object({ conversation: Conversation, match: SearchMatch });
export type SearchResult = z.infer<typeof SearchResult>;

export const SearchResponse = z.object({ results: z.array(SearchResult) });
export type SearchResponse = z.infer<typeof SearchResponse>;
