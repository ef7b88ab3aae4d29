import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseAgent, type Candidate } from '../../src/domain/routing.js';

/** An online agent: no conversations, no cap, never assigned, unless told. */
const agent = (id: string, load: Partial<Omit<Candidate, 'id'>> = {}): Candidate => ({
  id,
  active: 0,
  maxConcurrent: null,
  lastAssignedAt: null,
  ...load,
});

describe('chooseAgent', () => {
  it('skips agents at their cap; no cap means always open', () => {
    const full = agent('a', { active: 2, maxConcurrent: 2 });
    const over = agent('b', { active: 3, maxConcurrent: 2 });
    const belowCap = agent('c', { active: 4, maxConcurrent: 5 });
    const uncapped = agent('d', { active: 40, maxConcurrent: null });
    expect(chooseAgent([full, over, belowCap], null)).toBe('c');
    expect(chooseAgent([full, over, uncapped], null)).toBe('d');
    expect(chooseAgent([full, over, belowCap, uncapped], null)).toBe('c');
  });

  it('prefers the returning visitor’s previous agent when they can take it, however loaded', () => {
    const idle = agent('idle');
    const busy = agent('busy', { active: 7, maxConcurrent: 8, lastAssignedAt: 500 });
    expect(chooseAgent([idle, busy], 'busy')).toBe('busy');
    // At their cap, or not online (not a candidate): the usual choice.
    const busyFull = agent('busy', { active: 8, maxConcurrent: 8 });
    expect(chooseAgent([idle, busyFull], 'busy')).toBe('idle');
    expect(chooseAgent([idle], 'busy')).toBe('idle');
    expect(chooseAgent([busyFull], 'busy')).toBeUndefined();
  });

  it('takes the agent with the fewest active conversations', () => {
    const candidates = [
      agent('a', { active: 3, lastAssignedAt: 1 }),
      agent('b', { active: 1, lastAssignedAt: 900 }),
      agent('c', { active: 2, lastAssignedAt: null }),
    ];
    expect(chooseAgent(candidates, null)).toBe('b');
  });

  it('on equal load, the one assigned least recently; never assigned comes first', () => {
    const recently = agent('a', { active: 1, lastAssignedAt: 2_000 });
    const earlier = agent('b', { active: 1, lastAssignedAt: 1_000 });
    const never = agent('c', { active: 1, lastAssignedAt: null });
    const atZero = agent('d', { active: 1, lastAssignedAt: 0 });
    expect(chooseAgent([recently, earlier], null)).toBe('b');
    expect(chooseAgent([recently, earlier, atZero], null)).toBe('d');
    expect(chooseAgent([recently, earlier, atZero, never], null)).toBe('c');
  });

  it('on equal load and time, the smaller id', () => {
    const time = { active: 2, lastAssignedAt: 1_000 };
    expect(chooseAgent([agent('b', time), agent('c', time), agent('a', time)], null)).toBe('a');
    expect(chooseAgent([agent('y'), agent('x')], null)).toBe('x');
  });

  it('answers undefined when nobody can take it: no candidates, or all at their cap', () => {
    expect(chooseAgent([], null)).toBeUndefined();
    expect(chooseAgent([], 'anyone')).toBeUndefined();
    const full = [
      agent('a', { active: 1, maxConcurrent: 1 }),
      agent('b', { active: 5, maxConcurrent: 5 }),
    ];
    expect(chooseAgent(full, null)).toBeUndefined();
  });

  it('leaves the candidate list as it was', () => {
    const candidates = [agent('b', { active: 2 }), agent('a', { active: 1 }), agent('c')];
    const copy = structuredClone(candidates);
    expect(chooseAgent(candidates, null)).toBe('c');
    expect(candidates).toEqual(copy);
  });

  it('for any candidates: an open one, the preferred when open, none better by load, time, id', () => {
    const candidate = fc.record({
      id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      active: fc.integer({ min: 0, max: 6 }),
      maxConcurrent: fc.option(fc.integer({ min: 1, max: 6 })),
      lastAssignedAt: fc.option(fc.integer({ min: 0, max: 5 })),
    });
    const candidates = fc.uniqueArray(candidate, { selector: (c) => c.id, maxLength: 6 });
    const preferred = fc.option(fc.constantFrom('a', 'b', 'c', 'z'));
    fc.assert(
      fc.property(candidates, preferred, (list, preferredId) => {
        const open = list.filter((c) => c.maxConcurrent === null || c.active < c.maxConcurrent);
        const chosen = chooseAgent(list, preferredId);
        if (open.length === 0) return chosen === undefined;
        const winner = open.find((c) => c.id === chosen);
        if (!winner) return false;
        if (open.some((c) => c.id === preferredId)) return chosen === preferredId;
        const rank = (c: Candidate) => [c.active, c.lastAssignedAt ?? -1] as const;
        return open.every((c) => {
          const [active, time] = rank(c);
          const [bestActive, bestTime] = rank(winner);
          if (active !== bestActive) return active > bestActive;
          if (time !== bestTime) return time > bestTime;
          return c.id >= winner.id;
        });
      }),
    );
  });
});
