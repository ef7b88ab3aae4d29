import type { z } from 'zod';
import { AppError } from '../domain/errors.js';

/** Validates a body, query or params with a protocol schema; a refusal lists each problem. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  const message = first
    ? `${first.path === '' ? 'The request' : `"${first.path}"`}: ${first.message}`
    : 'The request is not valid';
  throw new AppError('VALIDATION_FAILED', message, { issues });
}
