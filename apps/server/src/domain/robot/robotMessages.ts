import type { RobotMeta } from '@servicesystem/protocol';
import type { Kysely } from 'kysely';
import { filePath } from '../../auth/fileUrls.js';
import type { Sender, StoredMessage } from '../../db/messages/messageStore.js';
import type { AttachmentSnapshot, ChannelsTable, Database } from '../../db/schema.js';
import type { DomainContext } from '../context.js';
import { isChannelOpen } from '../channels/channelOpen.js';

/** The channel columns the robot speaks with. */
export const robotChannelColumns = [
  'id',
  'business_hours',
  'robot_mode',
  'robot_name',
  'robot_greeting',
  'robot_every_message',
  'robot_instruction',
  'robot_avatar_file_id',
] as const;

export type RobotChannel = Pick<ChannelsTable, (typeof robotChannelColumns)[number]>;

/** Whether the channel's robot takes a new conversation now. */
export function robotApplies(channel: RobotChannel, now: number): boolean {
  return (
    channel.robot_mode === 'first' ||
    (channel.robot_mode === 'offHours' && !isChannelOpen(channel.business_hours, now))
  );
}

/** The robot as a message's sender: its channel's name ('' lets clients show their default)
 * and avatar, as the channel presenter shows them. */
export function robotSender(channel: RobotChannel): Sender {
  return {
    type: 'robot',
    id: null,
    name: channel.robot_name,
    avatarUrl: channel.robot_avatar_file_id
      ? filePath(channel.robot_avatar_file_id, 'preview', 'image')
      : null,
  };
}

export function robotMeta(reply: RobotMeta['reply'], fields: Partial<RobotMeta> = {}): RobotMeta {
  return {
    kind: 'robot',
    reply,
    source: null,
    entryId: null,
    choices: [],
    streamId: null,
    ...fields,
  };
}

/**
 * Writes a robot message while the conversation is still the robot's: undefined when it was
 * handed over or ended meanwhile (the append's guard), so the robot never speaks after a person
 * took over. An answer counts in `robot_replies`.
 */
export async function appendRobotMessage(
  ctx: DomainContext,
  trx: Kysely<Database>,
  conversationId: string,
  channel: RobotChannel,
  body: string,
  meta: RobotMeta,
  attachment?: AttachmentSnapshot,
): Promise<StoredMessage | undefined> {
  const appended = await ctx.messages.append(trx, ctx.now(), {
    conversationId,
    sender: robotSender(channel),
    type: 'robot',
    body,
    meta,
    ...(attachment ? { attachment } : {}),
    guard: { states: ['robot'] },
  });
  if (!appended) return undefined;
  if (meta.reply === 'answer') {
    await trx
      .updateTable('conversations')
      .set((eb) => ({ robot_replies: eb('robot_replies', '+', 1) }))
      .where('id', '=', conversationId)
      .execute();
  }
  return appended.message;
}
