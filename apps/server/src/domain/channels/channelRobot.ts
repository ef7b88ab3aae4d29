import type { AuditChange, ChannelRobotInput } from '@servicesystem/protocol';
import type { Kysely, Updateable } from 'kysely';
import type { z } from 'zod';
import type { ChannelsTable, Database } from '../../db/schema.js';
import { changedField, fieldChange } from '../audit/recordAudit.js';
import type { Actor } from '../context.js';
import { useAsAvatar } from '../files/useAsAvatar.js';
import { applyTextInput, defaultRobotGreeting, parseTexts } from './channelTexts.js';

type RobotColumns = Pick<
  ChannelsTable,
  | 'robot_mode'
  | 'robot_name'
  | 'robot_greeting'
  | 'robot_every_message'
  | 'robot_instruction'
  | 'robot_avatar_file_id'
>;

/** A new channel's robot: off, with the default name, avatar and greeting. */
export const defaultRobotColumns: RobotColumns = {
  robot_mode: 'off',
  robot_name: '',
  robot_greeting: JSON.stringify(defaultRobotGreeting),
  robot_every_message: 1,
  robot_instruction: '',
  robot_avatar_file_id: null,
};

/**
 * The robot part of a channel write: the columns `input` changes, given what is stored. An
 * avatar must be the caller's uploaded image and is published (visitors see it beside the
 * robot's messages); null puts the default back.
 */
export async function robotColumns(
  trx: Kysely<Database>,
  actor: Actor,
  current: RobotColumns,
  input: z.output<typeof ChannelRobotInput> | undefined,
  now: number,
): Promise<Updateable<ChannelsTable>> {
  const changes: Updateable<ChannelsTable> = {};
  if (input === undefined) return changes;
  if (input.mode !== undefined) changes.robot_mode = input.mode;
  if (input.name !== undefined) changes.robot_name = input.name;
  if (input.greeting !== undefined) {
    const texts = applyTextInput(parseTexts(current.robot_greeting), input.greeting);
    changes.robot_greeting = JSON.stringify(texts);
  }
  if (input.answerEveryMessage !== undefined) {
    changes.robot_every_message = input.answerEveryMessage ? 1 : 0;
  }
  if (input.instruction !== undefined) changes.robot_instruction = input.instruction;
  if (input.avatarFileId !== undefined && input.avatarFileId !== current.robot_avatar_file_id) {
    if (input.avatarFileId !== null) {
      await useAsAvatar(trx, actor, input.avatarFileId, now, 'robot.avatarFileId');
    }
    changes.robot_avatar_file_id = input.avatarFileId;
  }
  return changes;
}

/** The audit changes of the robot settings, as the channel's other fields are logged: short
 * values with from and to, texts and the avatar by name only. */
export function robotChanges(before: RobotColumns, after: RobotColumns): AuditChange[] {
  const named = (field: string, from: string | null, to: string | null) =>
    from === to ? [] : [changedField(field)];
  return [
    ...fieldChange('robotMode', before.robot_mode, after.robot_mode),
    ...fieldChange('robotName', before.robot_name, after.robot_name),
    ...named('robotAvatar', before.robot_avatar_file_id, after.robot_avatar_file_id),
    ...named('robotGreeting', before.robot_greeting, after.robot_greeting),
    ...fieldChange(
      'robotAnswerEveryMessage',
      before.robot_every_message !== 0,
      after.robot_every_message !== 0,
    ),
    ...named('robotInstruction', before.robot_instruction, after.robot_instruction),
  ];
}
