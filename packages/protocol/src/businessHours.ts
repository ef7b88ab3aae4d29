import { z } from 'zod';

const Time = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time like 09:00');

export const OpeningSpan = z
  .object({ open: Time, close: Time })
  .strict()
  .refine((s) => s.open < s.close, { message: 'open must be before close' });

export const Weekday = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
export type Weekday = z.infer<typeof Weekday>;

/** A weekly schedule in a time zone. A day without spans is closed all day. */
export const BusinessHours = z
  .object({
    timezone: z.string().refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Shanghai'),
    weekly: z.partialRecord(Weekday, z.array(OpeningSpan).max(4)),
  })
  .strict();
export type BusinessHours = z.infer<typeof BusinessHours>;

/** True when `at` falls inside the schedule (open ≤ local time < close), on the weekday in the
 * schedule's time zone. */
export function isWithinBusinessHours(hours: BusinessHours, at: Date): boolean {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: hours.timezone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = part('weekday').toLowerCase().slice(0, 3) as Weekday;
  const time = `${part('hour')}:${part('minute')}`;
  return (hours.weekly[day] ?? []).some((span) => span.open <= time && time < span.close);
}
