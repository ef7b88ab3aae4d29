import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * How the fake model answers the next calls:
 * - `stream`: server-sent events, one `delta.content` per chunk, `delayMs` apart, then
 *   `data: [DONE]` (`done: false` leaves it out and just closes);
 * - `silent`: the event stream opens (headers, a role-only event) but no word comes, ever;
 * - `stall`: the chunks come, then nothing more, ever (past any total timeout);
 * - `status`: an error status with a body;
 * - `raw`: these bytes as the body, with this content type (garbage, invalid JSON lines, an
 *   empty stream);
 * - `json`: one non-streamed completion (a server that ignores `stream: true`).
 */
export type FakeBehaviour =
  | { kind: 'stream'; chunks: string[]; delayMs?: number; done?: boolean }
  | { kind: 'silent' }
  | { kind: 'stall'; chunks: string[] }
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'raw'; body: string | Buffer; contentType?: string }
  | { kind: 'json'; content: string };

export interface FakeCall {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The parsed body, or null when it was not JSON. */
  json: {
    model?: string;
    stream?: boolean;
    messages?: { role: string; content: string }[];
    [key: string]: unknown;
  } | null;
}

export interface FakeModel {
  /** The base to give as LLM_BASE_URL (`http://127.0.0.1:<port>/v1`). */
  baseUrl: string;
  /** Every request received, in order, whatever its path. */
  calls: FakeCall[];
  /** How every following call is answered (until changed); `stream` of "OK" at first. */
  behave(behaviour: FakeBehaviour): void;
  /** The answers of the next calls, one each, before falling back to `behave`'s. */
  queue(...behaviours: FakeBehaviour[]): void;
  /** Calls whose answer has not ended (a held-open stream counts until the client leaves). */
  open(): number;
  /** Lets every held-open answer end (a `silent` or `stall` one) by closing it. */
  release(): void;
  close(): Promise<void>;
}

const chunkEvent = (content: string) =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { content }, finish_reason: null }],
  })}\n\n`;
const roleEvent = `data: ${JSON.stringify({
  id: 'chatcmpl-fake',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
})}\n\n`;
const finishEvent = `data: ${JSON.stringify({
  id: 'chatcmpl-fake',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
})}\n\n`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A real OpenAI-compatible chat-completions server on 127.0.0.1 (a random port), answering as
 * each test chooses and recording every request, for the robot's model client and the robot.
 */
export async function startFakeModel(): Promise<FakeModel> {
  const calls: FakeCall[] = [];
  const sockets = new Set<Socket>();
  const held = new Set<http.ServerResponse>();
  let fallback: FakeBehaviour = { kind: 'stream', chunks: ['OK'] };
  const next: FakeBehaviour[] = [];
  let openCount = 0;

  const answer = async (behaviour: FakeBehaviour, response: http.ServerResponse) => {
    const events = () =>
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
    switch (behaviour.kind) {
      case 'status':
        response
          .writeHead(behaviour.status, { 'content-type': 'application/json' })
          .end(behaviour.body ?? JSON.stringify({ error: { message: 'fake failure' } }));
        return;
      case 'raw':
        response
          .writeHead(200, { 'content-type': behaviour.contentType ?? 'text/event-stream' })
          .end(behaviour.body);
        return;
      case 'json':
        response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'chatcmpl-fake',
            object: 'chat.completion',
            choices: [{ index: 0, message: { role: 'assistant', content: behaviour.content } }],
          }),
        );
        return;
      case 'silent':
        events();
        response.write(roleEvent);
        held.add(response);
        return;
      case 'stall':
        events();
        response.write(roleEvent);
        for (const chunk of behaviour.chunks) response.write(chunkEvent(chunk));
        held.add(response);
        return;
      case 'stream':
        events();
        response.write(roleEvent);
        for (const chunk of behaviour.chunks) {
          if (behaviour.delayMs) await sleep(behaviour.delayMs);
          if (response.destroyed) return;
          response.write(chunkEvent(chunk));
        }
        if (behaviour.done === false) {
          response.end();
          return;
        }
        response.write(finishEvent);
        response.end('data: [DONE]\n\n');
        return;
    }
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: FakeCall['json'];
      try {
        json = JSON.parse(body) as FakeCall['json'];
      } catch {
        json = null;
      }
      calls.push({
        method: request.method ?? '',
        path: (request.url ?? '/').split('?')[0]!,
        headers: request.headers,
        body,
        json,
      });
      openCount++;
      response.on('close', () => {
        openCount--;
        held.delete(response);
      });
      const behaviour = next.shift() ?? fallback;
      answer(behaviour, response).catch(() => response.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    calls,
    behave(behaviour) {
      fallback = behaviour;
    },
    queue(...behaviours) {
      next.push(...behaviours);
    },
    open: () => openCount,
    release() {
      for (const response of held) response.end();
      held.clear();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
