import { describe, expect, it } from 'vitest';
import type { DomainEvent, Outcome } from '../../src/domain/events.js';
import { ActionRunner, type Caller } from '../../src/domain/runner.js';

const ended: DomainEvent = { type: 'session.ended', sessionId: 's1' };
const roleChanged: DomainEvent = { type: 'account.roleChanged', accountId: 'a1' };

function recorder() {
  const heard: { events: readonly DomainEvent[]; caller: Caller | undefined }[] = [];
  return {
    heard,
    listener: (events: readonly DomainEvent[], caller?: Caller) => heard.push({ events, caller }),
  };
}

describe('ActionRunner', () => {
  it('answers the value and hands the events, with the caller, to every listener in order', async () => {
    const runner = new ActionRunner(() => undefined);
    const first = recorder();
    const second = recorder();
    runner.listen(first.listener);
    runner.listen(second.listener);
    const value = await runner.run(Promise.resolve({ value: 42, events: [ended, roleChanged] }), {
      connectionId: 'socket-1',
    });
    expect(value).toBe(42);
    for (const { heard } of [first, second]) {
      expect(heard).toEqual([
        { events: [ended, roleChanged], caller: { connectionId: 'socket-1' } },
      ]);
    }
  });

  it('publishes nothing for an action that failed or reported nothing', async () => {
    const runner = new ActionRunner(() => undefined);
    const { heard, listener } = recorder();
    runner.listen(listener);
    const failing: Promise<Outcome<number>> = Promise.reject(new Error('refused'));
    await expect(runner.run(failing)).rejects.toThrow('refused');
    await runner.run(Promise.resolve({ value: 'quiet', events: [] }));
    expect(heard).toEqual([]);
  });

  it('a listener that throws is reported and does not stop the others or the answer', async () => {
    const failures: unknown[] = [];
    const runner = new ActionRunner((error) => failures.push(error));
    const after = recorder();
    runner.listen(() => {
      throw new Error('listener broke');
    });
    runner.listen(after.listener);
    expect(await runner.run(Promise.resolve({ value: 'ok', events: [ended] }))).toBe('ok');
    expect(failures).toHaveLength(1);
    expect(after.heard).toHaveLength(1);
  });
});
