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

// eslint-disable-next-line no-control-regex
const controlCharacter = /[\u0000-\u001F\u007F-\u009F]/;

/** True when `value` has no C0/C1 control character (NUL included). */
export function hasNoControlCharacters(value: string): boolean {
  return !controlCharacter.test(value);
}

const noControlCharacters = 'must not contain control characters';

/**
 * An id (UUIDs today), or anything the server looks rows up by: 1..64 characters without
 * control characters. PostgreSQL refuses any text with NUL in it, so one in an id would fail
 * the query instead of finding nothing.
 */
export const Id = z.string().min(1).max(64).refine(hasNoControlCharacters, noControlCharacters);

/** Text the database compares (a login name, a search): without control characters. */
export const LookupText = z.string().refine(hasNoControlCharacters, noControlCharacters);

export const HttpUrl = z
  .string()
  .max(2048)
  // The URL parser drops some control characters, but the text is stored as sent.
  .refine(hasNoControlCharacters, noControlCharacters)
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
