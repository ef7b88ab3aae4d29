import type { TryRobotRequest, TryRobotResponse } from '@servicesystem/protocol';
import type { z } from 'zod';
import { findChannelOrThrow } from '../../channels/channelRows.js';
import type { Actor, DomainContext } from '../../context.js';
import { authorize, channelPolicy } from '../../policies.js';
import { asksForPerson, type ScoredItem } from '../matcher.js';

type Input = z.output<typeof TryRobotRequest>;

/**
 * What the channel's robot would do with a visitor's text, from the same knowledge and matcher
 * the robot uses (the language model is not asked): for administrators checking their entries.
 * The channel's robot need not be on.
 */
export async function tryRobot(
  ctx: DomainContext,
  actor: Actor,
  channelId: string,
  input: Input,
): Promise<TryRobotResponse> {
  authorize(channelPolicy.manage(actor), 'Only administrators can try the robot');
  await findChannelOrThrow(ctx.db, channelId);
  const index = await ctx.robotKnowledge.indexFor(channelId);
  const decision = index.decide(input.text);
  const matches = decision.matches.map((m) => ({
    source: m.item.source,
    entryId: m.item.id,
    question: m.question,
    score: m.score,
  }));
  // Asking for a person wins over any match, as in a conversation.
  if (asksForPerson(input.text) || decision.outcome === 'handoff') {
    return { outcome: 'handoff', answer: null, choices: [], matches };
  }
  if (decision.outcome === 'answer' && decision.answer) {
    return { outcome: 'answer', answer: decision.answer.item.answer, choices: [], matches };
  }
  return { outcome: 'choices', answer: null, choices: decision.choices.map(choiceOf), matches };
}

/** A "did you mean" choice shows the item's first phrasing, as the robot's message does. */
function choiceOf(scored: ScoredItem) {
  return { entryId: scored.item.id, question: scored.item.questions[0] ?? scored.question };
}
