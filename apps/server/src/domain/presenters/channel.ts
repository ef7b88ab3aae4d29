import type { Channel } from '@servicesystem/protocol';
import type { ChannelsTable } from '../../db/schema.js';

/** A channel; the identity secret only for those allowed to read it. */
export function presentChannel(row: ChannelsTable, options: { withSecret: boolean }): Channel {
  return {
    id: row.id,
    name: row.name,
    welcomeMessage: row.welcome_message,
    allowedOrigins: JSON.parse(row.allowed_origins) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(options.withSecret ? { identitySecret: row.identity_secret } : {}),
  };
}
