import { expect, it } from 'vitest';
import { timeOrderedId } from '../../src/db/ids.js';

it('makes UUIDs of version 7 that sort by the time they were made', () => {
  const start = Date.UTC(2026, 10, 26, 9, 0, 0);
  const ids = Array.from({ length: 2000 }, (_, i) => timeOrderedId(start + i * 7));
  for (const id of ids) {
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  expect([...ids].sort()).toEqual(ids);
  // The time is readable back from the first 48 bits.
  expect(parseInt(ids[0]!.replace('-', '').slice(0, 12), 16)).toBe(start);
  // Within one millisecond the random part keeps them apart.
  const same = new Set(Array.from({ length: 1000 }, () => timeOrderedId(start)));
  expect(same.size).toBe(1000);
});
