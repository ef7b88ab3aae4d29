import type { BusinessHours, Channel } from '@servicesystem/protocol';
import type { ChannelsTable } from '../../db/schema.js';

/** A channel; the identity secret only for those allowed to read it. */
export function presentChannel(row: ChannelsTable, options: { withSecret: boolean }): Channel {
  return {
    id: row.id,
    name: row.name,
    welcomeMessage: row.welcome_message,
    offHoursMessage: row.off_hours_message,
    businessHours: row.business_hours ? (JSON.parse(row.business_hours) as BusinessHours) : null,
    allowedOrigins: JSON.parse(row.allowed_origins) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(options.withSecret ? { identitySecret: row.identity_secret } : {}),
  };
}
