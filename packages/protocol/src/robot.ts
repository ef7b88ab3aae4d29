import { z } from 'zod';
import { Id, stripControlCharacters, Timestamp } from './common.js';
import { FileInfo } from './files.js';
import { HandoffReason, RobotChoice, RobotSource } from './messages.js';

/**
 * The robot first line: per-channel FAQ entries the robot answers from, a way for admins to try
 * them, a reply suggested to agents, and the robot's answer streamed to the visitor while a
 * language model writes it. The robot's settings are part of the channel (channels.ts,
 * `robot`); its messages are `type: 'robot'` (messages.ts, RobotMeta).
 */

export const faqLimits = { questions: 20, question: 200, answer: 5000, entries: 1000 } as const;

/** One phrasing of a question: control characters removed, spaces collapsed, 1 to 200. */
export const FaqQuestion = z
  .string()
  .max(2000)
  .transform((v) => stripControlCharacters(v).replace(/\s+/g, ' ').trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(faqLimits.question, `must be at most ${faqLimits.question} characters`),
  );

/** An answer: text in which links (http and https) are shown as links; 1 to 5,000. */
export const FaqAnswer = z
  .string()
  .max(20_000)
  .transform((v) => stripControlCharacters(v).trim())
  .pipe(
    z
      .string()
      .min(1, 'must not be empty')
      .max(faqLimits.answer, `must be at most ${faqLimits.answer} characters`),
  );

/** Phrasings of one question (the first is the one "did you mean" shows); duplicates, compared
 * case-insensitively, are refused. */
export const FaqQuestions = z
  .array(FaqQuestion)
  .min(1, 'give at least one phrasing')
  .max(faqLimits.questions, `at most ${faqLimits.questions} phrasings`)
  .refine((qs) => new Set(qs.map((q) => q.toLowerCase())).size === qs.length, {
    message: 'the same phrasing is given twice',
  });

export const FaqEntry = z.object({
  id: z.string(),
  channelId: z.string(),
  questions: z.array(z.string()),
  answer: z.string(),
  /** An image shown under the answer, or null. */
  image: FileInfo.nullable(),
  /** Disabled entries stay in the list but the robot does not use them. */
  enabled: z.boolean(),
  /** 1-based place in the channel's list. */
  position: z.number().int().min(1),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type FaqEntry = z.infer<typeof FaqEntry>;

// ---- GET /api/v1/channels/:id/faq (admins)
export const FaqListResponse = z.object({ entries: z.array(FaqEntry) });
export type FaqListResponse = z.infer<typeof FaqListResponse>;

export const FaqEntryResponse = z.object({ entry: FaqEntry });
export type FaqEntryResponse = z.infer<typeof FaqEntryResponse>;

// ---- POST /api/v1/channels/:id/faq (admins): added at the end of the list.
export const CreateFaqEntryRequest = z
  .object({
    questions: FaqQuestions,
    answer: FaqAnswer,
    /** An uploaded image (POST /api/v1/uploads) by the caller. */
    imageFileId: Id.nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type CreateFaqEntryRequest = z.input<typeof CreateFaqEntryRequest>;

// ---- PATCH /api/v1/channels/:id/faq/:entryId (admins); DELETE the same path.
export const FaqEntryParams = z.object({ id: Id, entryId: Id }).strict();
export type FaqEntryParams = z.infer<typeof FaqEntryParams>;

export const UpdateFaqEntryRequest = z
  .object({
    questions: FaqQuestions.optional(),
    answer: FaqAnswer.optional(),
    imageFileId: Id.nullable().optional(),
    enabled: z.boolean().optional(),
    /** Moves the entry to this 1-based place (past the end: last). */
    position: z.number().int().min(1).optional(),
  })
  .strict();
export type UpdateFaqEntryRequest = z.input<typeof UpdateFaqEntryRequest>;

/** One piece of knowledge the matcher found, with its score (0 to 1). */
export const RobotMatch = z.object({
  source: RobotSource.exclude(['model']),
  entryId: z.string(),
  question: z.string(),
  score: z.number(),
});
export type RobotMatch = z.infer<typeof RobotMatch>;

// ---- POST /api/v1/channels/:id/faq/try (admins): what the robot would do with a text.
export const TryRobotRequest = z
  .object({
    text: z
      .string()
      .max(20_000)
      .transform((v) => stripControlCharacters(v).trim())
      .pipe(z.string().min(1).max(5000)),
  })
  .strict();
export type TryRobotRequest = z.input<typeof TryRobotRequest>;

export const TryRobotResponse = z.object({
  /** `answer`: confident (the first match); `choices`: unsure, offers `choices`; `handoff`:
   * nothing close, or the visitor asks for a person. */
  outcome: z.enum(['answer', 'choices', 'handoff']),
  /** With `answer`: the answer text. */
  answer: z.string().nullable(),
  choices: z.array(RobotChoice),
  /** The best matches, best first (at most 5), with their scores. */
  matches: z.array(RobotMatch),
});
export type TryRobotResponse = z.infer<typeof TryRobotResponse>;

// ---- POST /api/v1/conversations/:id/suggest-reply (the assigned agent): a draft for the
// composer, from the channel's knowledge and the conversation so far. With a language model
// configured it writes one; without, the best matching answer. 404 NO_SUGGESTION: nothing fits.
export const SuggestReplyResponse = z.object({
  text: z.string(),
  source: RobotSource,
  /** The entries or saved replies it drew on. */
  basedOn: z.array(RobotMatch),
});
export type SuggestReplyResponse = z.infer<typeof SuggestReplyResponse>;

// ---- GET /api/v1/robot (console): whether a language model is configured.
export const RobotStatusResponse = z.object({
  model: z.object({ configured: z.boolean(), name: z.string().nullable() }),
});
export type RobotStatusResponse = z.infer<typeof RobotStatusResponse>;

// ---- robot.stream (server → visitor, and console users who can see the conversation)
/**
 * The robot's answer while a language model writes it: `text` is everything so far (replace,
 * do not append). `writing` comes many times; then either the stored robot message arrives as
 * `message.created` with the same `meta.streamId` (and a `done`), or `abandoned` (the model
 * failed or was unsure: drop the preview; a handoff follows). Never stored: a client that
 * reconnects simply sees the stored message.
 */
export const RobotStreamPayload = z.object({
  conversationId: z.string(),
  streamId: z.string(),
  text: z.string(),
  state: z.enum(['writing', 'done', 'abandoned']),
});
export type RobotStreamPayload = z.infer<typeof RobotStreamPayload>;

export { HandoffReason };
