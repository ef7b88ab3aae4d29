import { describe, expect, it } from 'vitest';
import type { Message } from '@servicesystem/protocol/wire';
import {
  localRobotGreeting,
  openRobotChoices,
  robotName,
  showsLocalGreeting,
  type SessionRobot,
} from '../src/robot.js';
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

  const sessionRobot: SessionRobot = {
    name: '',
    avatarUrl: null,
    greeting: { 'zh-CN': '您好，有什么可以帮您？', en: '' },
    suggestions: [{ entryId: 'f1', question: 'How do I return an item?' }],
  };

  it('greets before the first message as the server will: the reader’s text, else the other, with the suggestions as choices', () => {
    const greeting = localRobotGreeting(sessionRobot, 'zh-CN', 5);
    expect(greeting).toMatchObject({
      seq: 0,
      type: 'robot',
      body: '您好，有什么可以帮您？',
      sender: { type: 'robot', name: '', avatarUrl: null },
      createdAt: 5,
      meta: { kind: 'robot', reply: 'greeting', choices: sessionRobot.suggestions },
    });
    // No English greeting written: the Chinese one, as the stored greeting falls back too.
    expect(localRobotGreeting(sessionRobot, 'en')?.body).toBe('您好，有什么可以帮您？');
    expect(
      localRobotGreeting({ ...sessionRobot, greeting: { 'zh-CN': '你好', en: 'Hello' } }, 'en')
        ?.body,
    ).toBe('Hello');
    // Its choices are offered like a stored greeting's while nothing follows it.
    expect(openRobotChoices([greeting!], 'robot')?.choices).toEqual(sessionRobot.suggestions);
    // Suggestions alone still greet; nothing at all does not.
    const silent = { ...sessionRobot, greeting: { 'zh-CN': '', en: '' } };
    expect(localRobotGreeting(silent, 'en')?.body).toBe('');
    expect(localRobotGreeting({ ...silent, suggestions: [] }, 'en')).toBeNull();
  });

  it('shows its own greeting until a conversation starts and its first (stored) message arrives', () => {
    const stored = robot(1, 'greeting', ['How do I return an item?']);
    // No robot taking new conversations: never.
    expect(showsLocalGreeting(null, null, [])).toBe(false);
    // Before any conversation, and after the last one ended.
    expect(showsLocalGreeting(sessionRobot, null, [])).toBe(true);
    expect(showsLocalGreeting(sessionRobot, { state: 'ended' }, [message(7)])).toBe(true);
    // Started with the robot, nothing arrived yet: still the local one (no moment without).
    expect(showsLocalGreeting(sessionRobot, { state: 'robot' }, [])).toBe(true);
    // The stored greeting (or whatever came first) takes its place.
    expect(showsLocalGreeting(sessionRobot, { state: 'robot' }, [stored])).toBe(false);
    expect(showsLocalGreeting(sessionRobot, { state: 'robot' }, [message(1)])).toBe(false);
    // Started with people (the robot's mode changed meanwhile), or handed over.
    expect(showsLocalGreeting(sessionRobot, { state: 'queued' }, [])).toBe(false);
    expect(showsLocalGreeting(sessionRobot, { state: 'active' }, [stored])).toBe(false);
  });
});
