import type { DomainContext } from '../context.js';
import type { DomainEvent } from '../events.js';
import type { CommittedListener, RunAction } from '../runner.js';
import { robotTurn } from './robotTurn.js';

/**
 * Runs the robot's turns on this node: a listener on the ActionRunner hears each committed
 * visitor message in a conversation the robot holds and answers it after the send was
 * acknowledged, never inside it. The node that stored the message answers it, so with many
 * nodes each message gets one turn. Turns of one conversation run one after another, in the
 * order the messages committed; a conversation leaving the robot (handed over, taken, ended)
 * aborts its running turn, so a language model stops writing. A change made on another node is
 * not heard here: the answer's write then finds the conversation gone from the robot (its
 * guard) and is dropped. A turn lost to a crash between commit and answer is not retried: the
 * visitor can ask again or ask for a person.
 */
export class RobotTurns {
  /** The newest turn of each conversation with one pending or running. */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly running = new Map<string, AbortController>();
  private stopped = false;

  constructor(
    private readonly ctx: DomainContext,
    private readonly run: RunAction,
    private readonly onError: (error: unknown) => void,
  ) {}

  readonly hear: CommittedListener = (events) => {
    for (const event of events) {
      if (event.type === 'conversation.updated' && event.view.conversation.state !== 'robot') {
        this.running.get(event.view.conversation.id)?.abort();
      }
      if (
        event.type === 'message.created' &&
        event.message.sender_type === 'visitor' &&
        event.view.conversation.state === 'robot'
      ) {
        this.enqueue(event);
      }
    }
  };

  private enqueue(event: Extract<DomainEvent, { type: 'message.created' }>): void {
    if (this.stopped) return;
    const id = event.message.conversation_id;
    const previous = this.tails.get(id) ?? Promise.resolve();
    const turn = previous.then(() => this.take(event));
    this.tails.set(id, turn);
    void turn.finally(() => {
      if (this.tails.get(id) === turn) this.tails.delete(id);
    });
  }

  private async take(event: Extract<DomainEvent, { type: 'message.created' }>): Promise<void> {
    if (this.stopped) return;
    const id = event.message.conversation_id;
    const controller = new AbortController();
    this.running.set(id, controller);
    try {
      const io = {
        publish: (events: DomainEvent[]) => {
          void this.run(Promise.resolve({ value: undefined, events })).catch(this.onError);
        },
        signal: controller.signal,
      };
      await this.run(robotTurn(this.ctx, { message: event.message, choice: event.choice }, io));
    } catch (error) {
      this.onError(error);
    } finally {
      if (this.running.get(id) === controller) this.running.delete(id);
    }
  }

  /** Every turn pending or running has finished (tests wait for it; shutdown too). */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  /** At shutdown: no new turns, running ones aborted, then waited for. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const controller of this.running.values()) controller.abort();
    await this.idle();
  }
}
