import { z } from 'zod';
import { DisplayName, hasNoControlCharacters, stripControlCharacters } from './common.js';
import { Locale } from './messages.js';
import { emailAddressPattern, hasPhoneDigits, phoneDigits, phoneNumberPattern } from './wire.js';

/** What a conversation is: a live chat, or a message a visitor left when nobody could answer. */
export const ConversationKind = z.enum(['chat', 'message']);
export type ConversationKind = z.infer<typeof ConversationKind>;

/** An email address: trimmed, at most 254 characters, one `@`, a dot in the domain, no spaces. */
export const EmailAddress = z
  .string()
  .max(1000)
  .transform((v) => v.trim())
  .pipe(
    z
      .string()
      .max(254, 'must be at most 254 characters')
      .refine(hasNoControlCharacters, 'must not contain control characters')
      .regex(emailAddressPattern, 'must be an email address'),
  );

/** A phone number as people write it: digits with spaces, dashes, dots, brackets, a leading +;
 * 5 to 20 digits. */
export const PhoneNumber = z
  .string()
  .max(200)
  .transform((v) => v.trim().replace(/\s+/g, ' '))
  .pipe(
    z
      .string()
      .max(32, 'must be at most 32 characters')
      .regex(phoneNumberPattern, 'must be a phone number (digits, spaces, "-", "(", ")", "+")')
      .refine(hasPhoneDigits, `must have ${phoneDigits.min} to ${phoneDigits.max} digits`),
  );

/** The text of a left message: like a chat message, 1 to 2,000 characters. */
export const LeftMessageText = z
  .string()
  .max(10_000, 'must be at most 2000 characters')
  .transform((v) => stripControlCharacters(v).trim())
  .pipe(z.string().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'));

/** An IANA time zone the server knows (`Asia/Shanghai`), for the times in a mail. */
export const TimeZone = z
  .string()
  .max(64)
  .refine((v) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: v });
      return true;
    } catch {
      return false;
    }
  }, 'must be a time zone such as Asia/Shanghai');

/** An empty field counts as not given. */
const blankAsAbsent = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

// ---- POST /api/v1/visitor/leave-message
export const LeaveMessageRequest = z
  .object({
    name: DisplayName,
    email: z.preprocess(blankAsAbsent, EmailAddress.optional()),
    phone: z.preprocess(blankAsAbsent, PhoneNumber.optional()),
    message: LeftMessageText,
    /** The language of the page: mails about this message are written in it. */
    locale: Locale.optional(),
    timeZone: TimeZone.optional(),
  })
  .strict()
  .refine((v) => v.email !== undefined || v.phone !== undefined, {
    message: 'give an email address or a phone number',
    path: ['email'],
  });
export type LeaveMessageRequest = z.input<typeof LeaveMessageRequest>;

/** The contact details a visitor left, as console users see them. */
export const LeftMessageContact = z.object({
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  /** True when replies also go to `email` by mail (an address was left and mail was configured
   * when the message was left); false: the visitor sees replies on their next visit only. */
  emailReplies: z.boolean(),
});
export type LeftMessageContact = z.infer<typeof LeftMessageContact>;

// ---- POST /api/v1/visitor/conversations/:id/transcript
export const TranscriptRequest = z
  .object({
    email: EmailAddress,
    locale: Locale.optional(),
    timeZone: TimeZone.optional(),
  })
  .strict();
export type TranscriptRequest = z.input<typeof TranscriptRequest>;

export const TranscriptResponse = z.object({
  /** The mail waits in the outbox; it leaves within seconds while the mail server answers. */
  queued: z.literal(true),
});
export type TranscriptResponse = z.infer<typeof TranscriptResponse>;
