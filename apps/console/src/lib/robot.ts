/**
 * The console's pure rules for the robot first line: the phrasings an admin typed in the entry
 * dialog, where an entry goes when moved, and which report figures are worth a row. No DOM, no
 * Vue: the pages call these and the unit tests read them.
 */
import {
  faqLimits,
  type ChannelRobot,
  type HandoffReason,
  type ReportFigures,
} from '@servicesystem/protocol';

/** What the phrasing rows of the entry dialog say, checked before anything is sent. */
export type PhrasingCheck =
  | { ok: true; questions: string[] }
  | { ok: false; problem: 'none' | 'tooMany' | 'tooLong' | 'duplicate'; index: number };

/**
 * The phrasings as the server will store them (spaces collapsed, trimmed, empty rows dropped),
 * or the first problem and the row it is in, so the dialog can point at it: the server refuses
 * the same phrasing twice (compared case-insensitively), more than 20, or one over 200.
 */
export function checkPhrasings(rows: readonly string[]): PhrasingCheck {
  const questions: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < rows.length; i++) {
    const q = rows[i]!.replace(/\s+/g, ' ').trim();
    if (!q) continue;
    if (Array.from(q).length > faqLimits.question)
      return { ok: false, problem: 'tooLong', index: i };
    const key = q.toLowerCase();
    if (seen.has(key)) return { ok: false, problem: 'duplicate', index: i };
    seen.add(key);
    questions.push(q);
  }
  if (!questions.length) return { ok: false, problem: 'none', index: 0 };
  if (questions.length > faqLimits.questions) {
    return { ok: false, problem: 'tooMany', index: faqLimits.questions };
  }
  return { ok: true, questions };
}

/**
 * The 1-based place an entry moves to, one step up (-1) or down (+1) in a list of `count`, or
 * null when it is already at that end (the button is then disabled).
 */
export function movedPosition(position: number, step: -1 | 1, count: number): number | null {
  const to = position + step;
  return to < 1 || to > count ? null : to;
}

/** Whether any channel's robot answers at all (off everywhere: the reports hide its figures). */
export function robotOnSomewhere(channels: readonly { robot: Pick<ChannelRobot, 'mode'> }[]) {
  return channels.some((c) => c.robot.mode !== 'off');
}

/** The robot's report figures are shown when it did anything, or when it is on somewhere. */
export function showRobotFigures(
  figures: { robot: Pick<ReportFigures['robot'], 'resolved' | 'handedOver'> } | null,
  robotOn: boolean,
): boolean {
  if (!figures) return false;
  return robotOn || figures.robot.resolved > 0 || figures.robot.handedOver > 0;
}

/** The handoff reasons that happened, most frequent first, with their share of all handoffs. */
export function reasonBreakdown(
  reasons: Partial<Record<HandoffReason, number>>,
): { reason: HandoffReason; count: number; share: number }[] {
  const rows = (Object.entries(reasons) as [HandoffReason, number][]).filter(([, n]) => n > 0);
  const total = rows.reduce((sum, [, n]) => sum + n, 0);
  return rows
    .map(([reason, count]) => ({ reason, count, share: total ? count / total : 0 }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}

/** A matcher score (0 to 1) as a whole percentage for people. */
export function scorePercent(score: number): number {
  return Math.round(Math.min(1, Math.max(0, score)) * 100);
}
