import type { KnowledgeItem } from '../matcher.js';
import type { ModelRequest, ModelTurn } from './robotModel.js';

/** What the model answers, alone, when the knowledge does not answer the question. A word no
 * answer needs and every model can spell; the client never shows it (sentinel.ts). */
export const handoffSentinel = 'HANDOFF';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const languageNames: Record<string, string> = {
  'zh-CN': 'Simplified Chinese',
  en: 'English',
};

/** An answer longer than this is cut in the prompt: a model reads the start of a long FAQ answer
 * as well as the whole, and the prompt stays within a small model's context. */
const maxAnswerChars = 2000;
const maxTurnChars = 2000;

function rules(kind: 'answer' | 'suggest', locale: string | null): string {
  const language =
    locale && languageNames[locale]
      ? `Write in ${languageNames[locale]}, unless the visitor writes in another language: then in theirs.`
      : 'Write in the language the visitor writes in (Chinese if they write Chinese).';
  const who =
    kind === 'answer'
      ? 'You are the customer-service robot of a website, answering a visitor in a live chat.'
      : 'You draft the next reply for a human customer-service agent in a live chat. Write it in the agent’s voice, as the agent would send it to the visitor; the agent reads and edits it before sending.';
  return [
    who,
    'Rules:',
    '- Answer only from the knowledge entries below. They are all you know about this business.',
    '- Never make up facts, prices, dates, policies, links, phone numbers or addresses. Give links exactly as they appear in the entries.',
    `- ${language}`,
    '- Be short and friendly: a few sentences, plain text, no headings.',
    `- If the entries do not answer the visitor's last message, or you are not sure, reply with exactly ${handoffSentinel} and nothing else.`,
    kind === 'answer'
      ? `- If the visitor asks for a person, reply with exactly ${handoffSentinel}.`
      : '- Do not say you are a robot or a language model.',
  ].join('\n');
}

function knowledgeText(knowledge: readonly KnowledgeItem[]): string {
  if (knowledge.length === 0) return 'Knowledge entries: none.';
  const entries = knowledge.map((item, index) => {
    const answer =
      item.answer.length > maxAnswerChars
        ? `${item.answer.slice(0, maxAnswerChars)}…`
        : item.answer;
    const questions = item.questions.slice(0, 5).join(' / ');
    return `Entry ${index + 1}\nQuestion: ${questions}\nAnswer: ${answer}`;
  });
  return `Knowledge entries:\n\n${entries.join('\n\n')}`;
}

function roleOf(turn: ModelTurn): 'user' | 'assistant' {
  return turn.role === 'visitor' ? 'user' : 'assistant';
}

/**
 * The messages sent to the model: one system message (the robot's rules, then the channel's
 * instruction, then the knowledge), then the conversation as user (visitor) and assistant
 * (robot, agent) turns. Neighbouring turns of one side are joined: some chat templates refuse
 * two user turns in a row.
 */
export function buildMessages(kind: 'answer' | 'suggest', request: ModelRequest): ChatMessage[] {
  const instruction = request.instruction.trim();
  const system = [
    rules(kind, request.locale),
    instruction === ''
      ? ''
      : `The business's instruction (follow it unless it contradicts the rules):\n${instruction}`,
    knowledgeText(request.knowledge),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
  const messages: ChatMessage[] = [{ role: 'system', content: system }];
  for (const turn of request.history) {
    const text = turn.text.trim();
    if (text === '') continue;
    const content = text.length > maxTurnChars ? `${text.slice(0, maxTurnChars)}…` : text;
    const role = roleOf(turn);
    const last = messages.at(-1)!;
    if (last.role === role) last.content += `\n\n${content}`;
    else messages.push({ role, content });
  }
  return messages;
}
