import type { BusinessHours, Channel, SeenOrigin } from '@servicesystem/protocol';
import type { ChannelsTable } from '../../db/schema.js';
import { filePath } from '../../auth/fileUrls.js';
import { parseTexts } from '../channels/channelTexts.js';

export interface ChannelSightings {
  blockedOrigins: SeenOrigin[];
  loadedOrigins: SeenOrigin[];
}

/** A channel; the identity secret and where embed.js was seen only for administrators. */
export function presentChannel(
  row: ChannelsTable,
  options: { withSecret: boolean; sightings?: ChannelSightings | undefined },
): Channel {
  const allowed = JSON.parse(row.allowed_origins) as string[];
  return {
    id: row.id,
    name: row.name,
    welcomeMessage: parseTexts(row.welcome_message),
    offHoursMessage: parseTexts(row.off_hours_message),
    businessHours: row.business_hours ? (JSON.parse(row.business_hours) as BusinessHours) : null,
    allowedOrigins: allowed,
    ratingEnabled: row.rating_enabled !== 0,
    idleEndMinutes: row.idle_end_minutes,
    absentAgentMinutes: row.absent_agent_minutes,
    retentionDays: row.retention_days,
    robot: {
      mode: row.robot_mode,
      name: row.robot_name,
      avatarUrl: row.robot_avatar_file_id
        ? filePath(row.robot_avatar_file_id, 'preview', 'image')
        : null,
      greeting: parseTexts(row.robot_greeting),
      answerEveryMessage: row.robot_every_message !== 0,
      instruction: row.robot_instruction,
    },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ...(options.withSecret ? { identitySecret: row.identity_secret } : {}),
    ...(options.withSecret && options.sightings
      ? {
          // A site allowed since it was seen is no longer "not allowed yet".
          blockedOrigins: options.sightings.blockedOrigins.filter(
            (seen) => !allowed.includes(seen.origin),
          ),
          loadedOrigins: options.sightings.loadedOrigins,
        }
      : {}),
  };
}
