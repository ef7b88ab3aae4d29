import type { RobotMatch, SuggestReplyResponse } from '@servicesystem/protocol';
import type { StoredMessage } from '../../db/messages/messageStore.js';
import type { AccountActor, DomainContext } from '../context.js';
import { findConversationOrThrow } from '../conversations/conversationViews.js';
import { AppError } from '../errors.js';
import { authorize, conversationPolicy } from '../policies.js';
import { asksForPerson, matchThresholds, type ScoredItem } from './matcher.js';
import type { ModelOutcome, ModelTurn } from './model/robotModel.js';

/** The conversation the model reads: enough for the thread, short enough for a small model. */
const historyLength = 20;
/** The visitor's messages the knowledge is retrieved with: their latest question, which may take
 * a few messages to ask. */
const askedIn = 3;
/** The entries the model is given, best first: the matcher's five best. */
const knowledgeSize = 5;

const noSuggestion = () =>
  new AppError(
    'NO_SUGGESTION',
    'Nothing in this channel’s FAQ or saved replies fits this conversation',
  );

function unavailable(outcome: Extract<ModelOutcome, { kind: 'failed' }>): AppError {
  const error =
    outcome.reason === 'busy'
      ? new AppError(
          'MODEL_UNAVAILABLE',
          'The language model is busy with other answers; try again in a moment',
          { retryAfterSeconds: 5 },
        )
      : new AppError(
          'MODEL_UNAVAILABLE',
          outcome.reason === 'timeout'
            ? 'The language model did not answer in time'
            : 'The language model could not answer right now',
        );
  // For the operator's log (the client gets the words above): what the endpoint did.
  error.cause = new Error(`language model ${outcome.reason}: ${outcome.detail}`);
  return error;
}

const matchOf = (scored: ScoredItem): RobotMatch => ({
  source: scored.item.source,
  entryId: scored.item.id,
  question: scored.question,
  score: Math.round(scored.score * 1000) / 1000,
});

/** What of a message the model reads; null: nothing (system notices, redacted or empty). */
function turnOf(message: StoredMessage): ModelTurn | null {
  if (message.redacted_at !== null || message.body.trim() === '') return null;
  switch (message.sender_type) {
    case 'visitor':
      return { role: 'visitor', text: message.body };
    case 'agent':
      return { role: 'agent', text: message.body };
    case 'robot':
      return { role: 'robot', text: message.body };
    default:
      return null;
  }
}

/** The visitor's latest question: their messages since anyone last answered, or, when the agent
 * spoke last, their last message; at most `askedIn`. Asking for a person ("转人工", "Talk to a
 * person") is no question: right after the robot handed over, the question is the one before. */
function latestQuestion(all: readonly ModelTurn[]): string {
  const turns = all.filter((turn) => turn.role !== 'visitor' || !asksForPerson(turn.text));
  const trailing: string[] = [];
  for (let i = turns.length - 1; i >= 0 && trailing.length < askedIn; i--) {
    const turn = turns[i]!;
    if (turn.role !== 'visitor') {
      if (trailing.length > 0) break;
      continue;
    }
    trailing.unshift(turn.text);
    // The agent spoke last: the visitor's one message before it is the question.
    if (i < turns.length - 1 && turns[i + 1]!.role !== 'visitor') break;
  }
  return trailing.join('\n');
}

/**
 * A draft reply for the agent serving a conversation, from the channel's knowledge (FAQ entries
 * and saved replies for the robot) and the conversation so far. With a language model: its
 * draft, from the entries the matcher retrieves for the visitor's latest question. Without one:
 * the best entry's answer, when the matcher is confident or has a best choice. Reads only, so no
 * transaction and no events.
 */
export async function suggestReply(
  ctx: DomainContext,
  actor: AccountActor,
  conversationId: string,
  signal?: AbortSignal,
): Promise<SuggestReplyResponse> {
  const conversation = await findConversationOrThrow(ctx.db, conversationId);
  authorize(conversationPolicy.read(actor, conversation), 'This conversation is not yours');
  if (conversation.state === 'ended') {
    throw new AppError('CONVERSATION_ENDED', 'This conversation has ended');
  }
  authorize(
    conversationPolicy.sendAsAgent(actor, conversation),
    'Only the agent serving this conversation can have a reply suggested',
  );
  const [newest, channel, index] = await Promise.all([
    ctx.messages.page(ctx.db, {
      conversationId,
      bound: 'newest',
      seq: 0,
      limit: historyLength,
    }),
    ctx.db
      .selectFrom('channels')
      .select(['robot_instruction'])
      .where('id', '=', conversation.channel_id)
      .executeTakeFirst(),
    ctx.robotKnowledge.indexFor(conversation.channel_id),
  ]);
  const history = newest
    .reverse()
    .map(turnOf)
    .filter((turn): turn is ModelTurn => turn !== null);
  const question = latestQuestion(history);
  if (question === '') throw noSuggestion();
  const decision = index.decide(question);

  const model = ctx.robotModel;
  if (!model) {
    const best = decision.answer ?? decision.choices[0];
    if (!best) throw noSuggestion();
    return {
      text: best.item.answer,
      source: best.item.source,
      basedOn: (decision.answer ? [decision.answer] : decision.choices).map(matchOf),
    };
  }

  // What the robot's turn retrieves too: the entries worth offering as "did you mean". Nothing
  // retrieved: the model may answer from nothing else, so it is not asked.
  const retrieved = decision.matches
    .filter((m) => m.score >= matchThresholds.possible)
    .slice(0, knowledgeSize);
  if (retrieved.length === 0) throw noSuggestion();
  const outcome = await model.suggest({
    instruction: channel?.robot_instruction ?? '',
    knowledge: retrieved.map((scored) => scored.item),
    history,
    locale: null,
    ...(signal ? { signal } : {}),
  });
  if (outcome.kind === 'unsure') throw noSuggestion();
  if (outcome.kind === 'failed') throw unavailable(outcome);
  return { text: outcome.text, source: 'model', basedOn: retrieved.map(matchOf) };
}
