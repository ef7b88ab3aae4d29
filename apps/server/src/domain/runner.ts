import type { DomainEvent, Outcome } from './events.js';

/**
 * Who made the call, as far as delivering its events goes: the live connection whose answer
 * already carries what the action marked `inReply` (the sender's own message), so that
 * connection does not get it a second time as an event.
 */
export interface Caller {
  connectionId: string;
}

/** Hears every committed event, in commit order within one process. Must not throw. */
export type CommittedListener = (
  events: readonly DomainEvent[],
  caller: Caller | undefined,
) => void;

/**
 * Runs domain actions for the transports and hands the events each one returns to the listeners:
 * the one place events leave the domain. An action answers only after its transaction has
 * committed, so no listener ever hears of a change that could still roll back, and a
 * transport can never forget to publish. Listeners: the socket fan-out (realtime/), the metrics
 * (metrics/), and the webhook worker's nudge (its events are written in the action's own
 * transaction: domain/webhooks/recordWebhookEvents.ts).
 */
export class ActionRunner {
  private readonly listeners: CommittedListener[] = [];

  constructor(private readonly onListenerError: (error: unknown) => void) {}

  listen(listener: CommittedListener): void {
    this.listeners.push(listener);
  }

  /** Waits for an action, publishes its events, answers its value. */
  readonly run = async <T>(action: Promise<Outcome<T>>, caller?: Caller): Promise<T> => {
    const { value, events } = await action;
    if (events.length > 0) this.publish(events, caller);
    return value;
  };

  private publish(events: readonly DomainEvent[], caller: Caller | undefined): void {
    for (const listener of this.listeners) {
      try {
        listener(events, caller);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}

/** How transports run an action: `run(sendMessage(ctx, actor, input), caller)`. */
export type RunAction = ActionRunner['run'];
