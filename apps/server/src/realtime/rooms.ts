/** Socket.IO room names. Every socket joins the rooms of who it is, at connection. */
export const rooms = {
  visitor: (visitorId: string) => `visitor:${visitorId}`,
  /** Every console account (admins too) has one. */
  agent: (accountId: string) => `agent:${accountId}`,
  session: (sessionId: string) => `session:${sessionId}`,
  admins: 'admins',
  agents: 'agents',
} as const;
