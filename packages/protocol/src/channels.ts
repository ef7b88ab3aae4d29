import { z } from 'zod';
import { BusinessHours } from './businessHours.js';
import { stripControlCharacters, Timestamp } from './common.js';

/** A web origin such as `https://shop.example.com` or `http://127.0.0.2:8080` (no path). */
export const Origin = z
  .string()
  .max(255)
  .transform((v, ctx) => {
    try {
      const u = new URL(v);
      if (
        (u.protocol === 'https:' || u.protocol === 'http:') &&
        v.replace(/\/$/, '') === u.origin
      ) {
        return u.origin;
      }
    } catch {
      // fall through
    }
    ctx.addIssue({ code: 'custom', message: 'must be an origin like https://example.com' });
    return z.NEVER;
  });

export const ChannelName = z
  .string()
  .transform((v) => stripControlCharacters(v).replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'));

export const ChannelMessageText = z
  .string()
  .transform((v) => stripControlCharacters(v).trim())
  .pipe(z.string().max(2000, 'must be at most 2000 characters'));

export const Channel = z.object({
  id: z.string(),
  name: z.string(),
  welcomeMessage: z.string(),
  /** Sent instead of the welcome message outside business hours. */
  offHoursMessage: z.string(),
  /** Null: always open. */
  businessHours: BusinessHours.nullable(),
  allowedOrigins: z.array(z.string()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Only in answers to admins. */
  identitySecret: z.string().optional(),
});
export type Channel = z.infer<typeof Channel>;

export const ChannelListResponse = z.object({ channels: z.array(Channel) });
export type ChannelListResponse = z.infer<typeof ChannelListResponse>;

export const ChannelResponse = z.object({ channel: Channel });
export type ChannelResponse = z.infer<typeof ChannelResponse>;

export const CreateChannelRequest = z
  .object({
    name: ChannelName,
    welcomeMessage: ChannelMessageText.optional(),
    offHoursMessage: ChannelMessageText.optional(),
    businessHours: BusinessHours.nullable().optional(),
    allowedOrigins: z.array(Origin).max(50).optional(),
  })
  .strict();
export type CreateChannelRequest = z.input<typeof CreateChannelRequest>;

export const UpdateChannelRequest = z
  .object({
    name: ChannelName.optional(),
    welcomeMessage: ChannelMessageText.optional(),
    offHoursMessage: ChannelMessageText.optional(),
    businessHours: BusinessHours.nullable().optional(),
    allowedOrigins: z.array(Origin).max(50).optional(),
  })
  .strict();
export type UpdateChannelRequest = z.input<typeof UpdateChannelRequest>;
