import type { KnowledgeItem } from '../matcher.js';

/**
 * The optional language model behind the robot (LLM_BASE_URL, LLM_MODEL, LLM_API_KEY): an
 * OpenAI-compatible chat-completions endpoint such as a self-hosted Ollama or vLLM. Without
 * those variables `ctx.robotModel` is null and nothing calls out.
 *
 * The model answers only from `knowledge` (what the matcher retrieved from the channel's FAQ
 * entries and saved replies), within the channel's `instruction`. It never throws: every failure
 * is an outcome, so the robot can hand over.
 */
export interface RobotModel {
  /** The configured model's name (LLM_MODEL), for the console. */
  readonly name: string;
  /** Answers a visitor, streaming: `onText` gets the whole text so far each time it grows. */
  answer(request: ModelRequest): Promise<ModelOutcome>;
  /** Drafts a reply for an agent from the same knowledge and the conversation so far. */
  suggest(request: ModelRequest): Promise<ModelOutcome>;
}

/** One turn of the conversation as the model reads it. */
export interface ModelTurn {
  role: 'visitor' | 'agent' | 'robot';
  text: string;
}

export interface ModelRequest {
  /** The channel's instruction (tone, scope); the robot's own rules come first. */
  instruction: string;
  knowledge: readonly KnowledgeItem[];
  /** The conversation so far, oldest first, ending with the message to answer. */
  history: readonly ModelTurn[];
  /** The visitor's language when known ('zh-CN' | 'en'), else null: answer in theirs. */
  locale: string | null;
  onText?: (textSoFar: string) => void;
  /** Aborts the call (the conversation was handed over or ended meanwhile). */
  signal?: AbortSignal;
}

export type ModelOutcome =
  | { kind: 'answer'; text: string }
  /** The model said the knowledge does not answer this. */
  | { kind: 'unsure' }
  /** `timeout`: no first word or no end in time; `busy`: at the concurrency limit; `error`: an
   * HTTP or network error; `nonsense`: an answer that could not be read or was empty. */
  | { kind: 'failed'; reason: 'timeout' | 'busy' | 'error' | 'nonsense'; detail: string };
