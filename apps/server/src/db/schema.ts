/**
 * Table types shared by both engines. Timestamps are epoch milliseconds (bigint in PostgreSQL,
 * integer in SQLite); JSON values are stored as text so both engines read them the same way.
 */

export interface AccountsTable {
  id: string;
  username: string;
  display_name: string;
  avatar_url: string | null;
  role: 'admin' | 'agent';
  max_concurrent: number | null;
  password_hash: string;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  /** SHA-256 (hex) of the bearer token; the token itself is never stored. */
  id: string;
  account_id: string;
  created_at: number;
  last_seen_at: number;
  ip: string | null;
  user_agent: string | null;
}

export interface ChannelsTable {
  id: string;
  name: string;
  identity_secret: string;
  welcome_message: string;
  /** JSON array of origins. */
  allowed_origins: string;
  created_at: number;
  updated_at: number;
}

export interface Database {
  accounts: AccountsTable;
  sessions: SessionsTable;
  channels: ChannelsTable;
}
