import type { LlmConfig } from '../../../config.js';
import { buildMessages } from './prompt.js';
import type { ModelOutcome, ModelRequest, RobotModel } from './robotModel.js';
import { readAnswer } from './sentinel.js';

/** More than any answer of LLM_MAX_TOKENS words takes as server-sent events; past it the
 * endpoint is not answering as asked. */
const maxResponseBytes = 2 * 1024 * 1024;
/** How much of an error answer is kept for the log. */
const maxErrorDetail = 300;

type Failure = Extract<ModelOutcome, { kind: 'failed' }>;
const failed = (reason: Failure['reason'], detail: string): Failure => ({
  kind: 'failed',
  reason,
  detail,
});

/** Why a call was aborted, so an aborted fetch or read says which. */
type AbortWhy = 'firstToken' | 'total' | 'caller';

class Nonsense extends Error {}

/**
 * The robot's model over an OpenAI-compatible `POST {base}/chat/completions` with
 * `stream: true` (Ollama, vLLM, llama.cpp's server, LM Studio), with plain `fetch`.
 *
 * Never blocks the chat: at most `concurrency` calls are in flight on this node and one more is
 * answered `busy` at once (a queue would make visitors wait on other visitors' answers); every
 * call has a first-word and a whole-answer deadline. Never throws: every failure is an outcome.
 */
export class OpenAiModel implements RobotModel {
  readonly name: string;
  private inFlight = 0;

  constructor(private readonly config: LlmConfig) {
    this.name = config.model;
  }

  answer(request: ModelRequest): Promise<ModelOutcome> {
    return this.call('answer', request);
  }

  suggest(request: ModelRequest): Promise<ModelOutcome> {
    return this.call('suggest', request);
  }

  private async call(kind: 'answer' | 'suggest', request: ModelRequest): Promise<ModelOutcome> {
    if (request.signal?.aborted) return failed('error', 'aborted by the caller');
    if (this.inFlight >= this.config.concurrency) {
      return failed('busy', `${this.config.concurrency} model calls already in flight`);
    }
    this.inFlight++;
    const controller = new AbortController();
    let why: AbortWhy | undefined;
    const abort = (reason: AbortWhy) => {
      why ??= reason;
      controller.abort();
    };
    const total = setTimeout(() => abort('total'), this.config.timeoutMs);
    let firstToken: NodeJS.Timeout | undefined = setTimeout(
      () => abort('firstToken'),
      this.config.firstTokenTimeoutMs,
    );
    const onCallerAbort = () => abort('caller');
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const gotFirstToken = () => {
      clearTimeout(firstToken);
      firstToken = undefined;
    };
    try {
      return await this.stream(kind, request, controller.signal, gotFirstToken);
    } catch (error) {
      if (why === 'firstToken') {
        return failed('timeout', `no answer within ${this.config.firstTokenTimeoutMs} ms`);
      }
      if (why === 'total') {
        return failed('timeout', `the answer took longer than ${this.config.timeoutMs} ms`);
      }
      if (why === 'caller') return failed('error', 'aborted by the caller');
      if (error instanceof Nonsense) return failed('nonsense', error.message);
      return failed('error', describeError(error));
    } finally {
      clearTimeout(total);
      clearTimeout(firstToken);
      request.signal?.removeEventListener('abort', onCallerAbort);
      // The connection too, if the answer was not read to its end.
      controller.abort();
      this.inFlight--;
    }
  }

  private async stream(
    kind: 'answer' | 'suggest',
    request: ModelRequest,
    signal: AbortSignal,
    gotFirstToken: () => void,
  ): Promise<ModelOutcome> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'text/event-stream',
    };
    if (this.config.apiKey !== undefined) headers.authorization = `Bearer ${this.config.apiKey}`;
    const response = await fetch(`${this.config.baseUrl}/chat/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        model: this.config.model,
        messages: buildMessages(kind, request),
        stream: true,
        max_tokens: this.config.maxTokens,
        // Answers from given text: as little invention as the model allows.
        temperature: 0.2,
      }),
      signal,
      redirect: 'error',
    });
    if (!response.ok) {
      const text = await readCapped(response, signal).catch(() => '');
      return failed(
        'error',
        `HTTP ${response.status}${text.trim() === '' ? '' : `: ${text.trim().slice(0, maxErrorDetail)}`}`,
      );
    }
    let raw = '';
    let shown = '';
    const grow = (piece: string) => {
      if (piece === '') return;
      gotFirstToken();
      raw += piece;
      const read = readAnswer(raw, false);
      // The sentinel: nothing more is worth waiting for.
      if (read.kind === 'sentinel') return 'sentinel' as const;
      if (read.shown !== shown && read.shown !== '') {
        shown = read.shown;
        try {
          request.onText?.(shown);
        } catch {
          // The caller's display failing must not fail the answer.
        }
      }
      return undefined;
    };
    const type = response.headers.get('content-type') ?? '';
    if (type.includes('application/json')) {
      // A server that ignores `stream` answers one completion.
      const body = parseJson(await readCapped(response, signal));
      const content = (body as CompletionBody).choices?.[0]?.message?.content;
      if (typeof content !== 'string') throw new Nonsense('no answer in the reply');
      grow(content);
    } else {
      let ended = false;
      await readEvents(response, signal, (data) => {
        if (data === '[DONE]') {
          ended = true;
          return true;
        }
        const chunk = parseJson(data) as ChunkBody;
        if (chunk.error !== undefined) {
          throw new Error(`the model answered an error: ${errorText(chunk.error)}`);
        }
        const content = chunk.choices?.[0]?.delta?.content;
        if (content !== undefined && content !== null && typeof content !== 'string') {
          throw new Nonsense('an event whose content is not text');
        }
        if (grow(content ?? '') === 'sentinel') return true;
        if (chunk.choices?.[0]?.finish_reason) ended = true;
        return false;
      });
      if (!ended && readAnswer(raw, false).kind !== 'sentinel') {
        throw new Nonsense('the stream ended before the answer did');
      }
    }
    const read = readAnswer(raw, true);
    if (read.kind === 'sentinel') return { kind: 'unsure' };
    if (read.shown === '') throw new Nonsense('an empty answer');
    if (read.shown !== shown) {
      try {
        request.onText?.(read.shown);
      } catch {
        // As above.
      }
    }
    return { kind: 'answer', text: read.shown };
  }
}

interface CompletionBody {
  choices?: { message?: { content?: unknown } }[];
}
interface ChunkBody {
  choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[];
  error?: unknown;
}

function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Nonsense(`not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Nonsense('not a JSON object');
  }
  return value;
}

function errorText(error: unknown): string {
  if (typeof error === 'string') return error.slice(0, maxErrorDetail);
  if (typeof error === 'object' && error !== null && 'message' in error) {
    return String(error.message).slice(0, maxErrorDetail);
  }
  return 'unknown';
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`.slice(0, maxErrorDetail);
  }
  return 'unknown error';
}

/** The body as text, refusing more than `maxResponseBytes`. */
async function readCapped(response: Response, signal: AbortSignal): Promise<string> {
  let text = '';
  await readChunks(response, signal, (piece) => {
    text += piece;
    return false;
  });
  return text;
}

/** Calls `onText` with each decoded piece of the body until it answers true (then stops
 * reading); throws Nonsense past `maxResponseBytes`. */
async function readChunks(
  response: Response,
  signal: AbortSignal,
  onText: (piece: string) => boolean,
): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  try {
    for (;;) {
      if (signal.aborted) throw new Error('aborted');
      const { done, value } = await reader.read();
      if (done) {
        onText(decoder.decode());
        return;
      }
      bytes += value.byteLength;
      if (bytes > maxResponseBytes) throw new Nonsense(`more than ${maxResponseBytes} bytes`);
      if (onText(decoder.decode(value, { stream: true }))) return;
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

/** Server-sent events: calls `onData` with each `data:` field's text until it answers true.
 * Comments (`:`), other fields and the blank lines between events are skipped. */
async function readEvents(
  response: Response,
  signal: AbortSignal,
  onData: (data: string) => boolean,
): Promise<void> {
  let pending = '';
  let stopped = false;
  const lines = (final: boolean): boolean => {
    const parts = pending.split(/\r\n|\r|\n/);
    pending = final ? '' : parts.pop()!;
    for (const line of parts) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data !== '' && onData(data)) return (stopped = true);
    }
    return false;
  };
  await readChunks(response, signal, (piece) => {
    pending += piece;
    return lines(false);
  });
  if (!stopped && pending !== '') lines(true);
}
