import { HandoffReason, type Report, type ReportDurations } from '@servicesystem/protocol';

/**
 * A report as CSV for spreadsheets: one line per agent per day, then a total line per agent and
 * one for the range. UTF-8 with a byte-order mark (Excel then reads Chinese names right), CRLF
 * line ends, fields quoted when needed, and a field that a spreadsheet would run as a formula
 * (starting with = + - @, a tab or a carriage return) prefixed with ' so it stays text.
 */
export function presentReportCsv(report: Report): string {
  const header = [
    'day',
    'agent',
    'conversations',
    'visitor messages',
    'agent messages',
    'left messages',
    'first response median (s)',
    'first response p90 (s)',
    'first response average (s)',
    'resolution median (s)',
    'resolution p90 (s)',
    'resolution average (s)',
    'ratings',
    'rating average',
    'resolved by robot',
    'handed over by robot',
    ...HandoffReason.options.map((reason) => `handoff: ${reason}`),
  ];
  const seconds = (ms: number | null) => (ms === null ? '' : (ms / 1000).toFixed(1));
  const durations = (d: ReportDurations) => [
    seconds(d.medianMs),
    seconds(d.p90Ms),
    seconds(d.averageMs),
  ];
  const line = (day: string, agent: string, f: Report['total']) => [
    day,
    agent,
    String(f.conversations),
    String(f.visitorMessages),
    String(f.agentMessages),
    String(f.leftMessages),
    ...durations(f.firstResponse),
    ...durations(f.resolution),
    String(f.rating.count),
    f.rating.average === null ? '' : f.rating.average.toFixed(2),
    String(f.robot.resolved),
    String(f.robot.handedOver),
    ...HandoffReason.options.map((reason) => String(f.robot.reasons[reason])),
  ];
  const agentLabel = (r: { agentId: string | null; agentName: string | null }) =>
    r.agentId === null ? '(no agent)' : (r.agentName ?? r.agentId);
  const range = `${report.from}..${report.to}`;
  const lines = [
    header,
    ...report.rows.map((r) => line(r.day, agentLabel(r), r)),
    ...report.agents.map((a) => line(range, agentLabel(a), a)),
    line(range, '(all)', report.total),
  ];
  return '\uFEFF' + lines.map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
