import { describe, expect, it } from 'vitest';
import type { Message } from '@servicesystem/protocol/wire';
import { openRobotChoices, robotName } from '../src/robot.js';
import { message } from './factories.js';

const robot = (seq: number, reply: 'greeting' | 'answer' | 'choices', questions: string[]) =>
  message(seq, {
    type: 'robot',
    sender: { type: 'robot', name: '', avatarUrl: null },
    meta: {
      kind: 'robot',
      reply,
      source: reply === 'answer' ? 'faq' : null,
      entryId: reply === 'answer' ? 'e0' : null,
      choices: questions.map((question, i) => ({ entryId: `e${seq}-${i}`, question })),
      streamId: null,
    },
  });
const notice = (seq: number): Message =>
  message(seq, {
    type: 'system',
    sender: { type: 'system', name: '', avatarUrl: null },
    meta: { kind: 'handedOff', reason: 'requested' },
  });

describe('the robot as clients show it', () => {
  it('offers the choices of the latest robot message while the robot holds the conversation', () => {
    const greeting = robot(1, 'greeting', ['如何退货？', '运费多少？']);
    expect(openRobotChoices([greeting], 'robot')).toEqual({
      message: greeting,
      choices: [
        { entryId: 'e1-0', question: '如何退货？' },
        { entryId: 'e1-1', question: '运费多少？' },
      ],
    });
    // A later robot message without choices: the greeting's are not open any more.
    const answer = robot(3, 'answer', []);
    expect(openRobotChoices([greeting, message(2), answer], 'robot')).toBeNull();
    const didYouMean = robot(5, 'choices', ['发货时间']);
    const thread = [greeting, message(2), answer, message(4), didYouMean];
    expect(openRobotChoices(thread, 'robot')?.message).toBe(didYouMean);
    // The visitor's messages after it leave it open until the robot's next message (the
    // greeting comes before the visitor's first message).
    expect(openRobotChoices([...thread, message(6)], 'robot')?.message).toBe(didYouMean);
    expect(openRobotChoices([greeting, message(2)], 'robot')?.message).toBe(greeting);
    // Handed over, or nothing yet.
    expect(openRobotChoices([...thread, notice(6)], 'queued')).toBeNull();
    expect(openRobotChoices(thread, 'active')).toBeNull();
    expect(openRobotChoices([], 'robot')).toBeNull();
    expect(openRobotChoices(thread, undefined)).toBeNull();
  });

  it("names the robot by its channel's name, else by the reader's language", () => {
    expect(robotName({ name: '小智' }, 'en')).toBe('小智');
    expect(robotName({ name: '' }, 'zh-CN')).toBe('智能助手');
    expect(robotName({ name: '  ' }, 'en')).toBe('Assistant');
    expect(robotName(undefined, 'en')).toBe('Assistant');
  });
});
