import { describe, expect, it } from 'vitest';
import {
  checkPhrasings,
  movedPosition,
  reasonBreakdown,
  robotOnSomewhere,
  scorePercent,
  showRobotFigures,
} from '../src/lib/robot';

describe('the FAQ entry dialog’s phrasings', () => {
  it('keeps what the server keeps: spaces collapsed, empty rows dropped, order kept', () => {
    expect(checkPhrasings(['  怎么 退货 ', '', '   ', 'How do I\treturn  it?'])).toEqual({
      ok: true,
      questions: ['怎么 退货', 'How do I return it?'],
    });
  });

  it('points at the row that repeats an earlier one, whatever its case', () => {
    expect(checkPhrasings(['Refund', 'shipping', ' refund '])).toEqual({
      ok: false,
      problem: 'duplicate',
      index: 2,
    });
  });

  it('asks for at least one phrasing', () => {
    expect(checkPhrasings(['', ' '])).toMatchObject({ ok: false, problem: 'none' });
    expect(checkPhrasings([])).toMatchObject({ ok: false, problem: 'none' });
  });

  it('refuses a phrasing over 200 characters (counted as characters, not UTF-16 units)', () => {
    expect(checkPhrasings(['好'.repeat(200)]).ok).toBe(true);
    expect(checkPhrasings(['😀'.repeat(200)]).ok).toBe(true);
    expect(checkPhrasings(['ok', 'x'.repeat(201)])).toEqual({
      ok: false,
      problem: 'tooLong',
      index: 1,
    });
  });

  it('refuses more than 20 phrasings', () => {
    const rows = Array.from({ length: 21 }, (_, i) => `q${i}`);
    expect(checkPhrasings(rows)).toMatchObject({ ok: false, problem: 'tooMany' });
    expect(checkPhrasings(rows.slice(0, 20)).ok).toBe(true);
  });
});

describe('moving an entry', () => {
  it('goes one place up or down, and nowhere past either end', () => {
    expect(movedPosition(2, -1, 3)).toBe(1);
    expect(movedPosition(2, 1, 3)).toBe(3);
    expect(movedPosition(1, -1, 3)).toBeNull();
    expect(movedPosition(3, 1, 3)).toBeNull();
    expect(movedPosition(1, 1, 1)).toBeNull();
  });
});

describe('the robot’s report figures', () => {
  const none = { robot: { resolved: 0, handedOver: 0, reasons: {} } } as const;
  const some = { robot: { resolved: 0, handedOver: 2, reasons: { requested: 2 } } } as const;

  it('show when the robot did something, or is on in some channel', () => {
    expect(showRobotFigures(none, false)).toBe(false);
    expect(showRobotFigures(none, true)).toBe(true);
    expect(showRobotFigures(some, false)).toBe(true);
    expect(showRobotFigures(null, true)).toBe(false);
  });

  it('know whether any channel’s robot is on', () => {
    expect(robotOnSomewhere([{ robot: { mode: 'off' } }])).toBe(false);
    expect(robotOnSomewhere([{ robot: { mode: 'off' } }, { robot: { mode: 'offHours' } }])).toBe(
      true,
    );
    expect(robotOnSomewhere([])).toBe(false);
  });

  it('list the reasons that happened, most frequent first, with their shares', () => {
    expect(reasonBreakdown({ requested: 1, unanswered: 3, media: 0, agent: 1 })).toEqual([
      { reason: 'unanswered', count: 3, share: 0.6 },
      { reason: 'agent', count: 1, share: 0.2 },
      { reason: 'requested', count: 1, share: 0.2 },
    ]);
    expect(reasonBreakdown({})).toEqual([]);
  });

  it('show scores as whole percentages within 0 and 100', () => {
    expect(scorePercent(0.834)).toBe(83);
    expect(scorePercent(1.2)).toBe(100);
    expect(scorePercent(-0.1)).toBe(0);
  });
});
