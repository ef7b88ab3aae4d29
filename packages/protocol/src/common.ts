import { z } from 'zod';

/** Removes C0/C1 control characters except tab and newline. */
export function stripControlCharacters(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g, '');
}

/** A single-line human name: trimmed, control characters removed, 1..64 characters. */
export const DisplayName = z
  .string()
  .transform((v) => stripControlCharacters(v).replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'));

export const Id = z.string().min(1).max(64);

export const HttpUrl = z
  .string()
  .max(2048)
  .refine((v) => {
    try {
      const u = new URL(v);
      return u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

/** Epoch milliseconds. */
export const Timestamp = z.number().int();
