import {
  ClientEvent,
  SocketConversationRef,
  SocketCreateNote,
  SocketListConversations,
  SocketListMessages,
  SocketMarkRead,
  SocketSendMessage,
  SocketSetStatus,
  SocketTransfer,
  SocketTyping,
  VisitorContextReport,
  type AckError,
} from '@servicesystem/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { Socket } from 'socket.io';
import { performance } from 'node:perf_hooks';
import type { z } from 'zod';
import { isDatabaseUnavailable } from '../db/errors.js';
import { listAgentPresence } from '../domain/agents/listAgentPresence.js';
import { setAgentStatus } from '../domain/agents/setAgentStatus.js';
import type { Actor, DomainContext } from '../domain/context.js';
import { endConversation } from '../domain/conversations/endConversation.js';
import { listConversations } from '../domain/conversations/listConversations.js';
import { listMessages } from '../domain/conversations/listMessages.js';
import { markRead } from '../domain/conversations/markRead.js';
import { notifyTyping } from '../domain/conversations/notifyTyping.js';
import { sendMessage } from '../domain/conversations/sendMessage.js';
import {
  assignConversation,
  transferConversation,
} from '../domain/conversations/transferConversation.js';
import { AppError } from '../domain/errors.js';
import { createNote } from '../domain/notes/createNote.js';
import { authorizeCaller, callers } from '../domain/policies.js';
import type { RunAction } from '../domain/runner.js';
import { MessageRateLimit } from '../auth/messageRateLimit.js';
import { deviceOfUserAgent, type VisitorDevice } from '../domain/visitors/deviceOfUserAgent.js';
import { reportVisitorContext } from '../domain/visitors/reportVisitorContext.js';

/** `acked`: the client passed an ack callback, so it will get the answer. */
type Handler<S extends z.ZodType> = (
  input: z.output<S>,
  actor: Actor,
  acked: boolean,
) => Promise<object | null>;

/** Turns any failure into an ack error with a code; nothing escapes to crash the process. */
function ackError(error: unknown, log: FastifyBaseLogger): AckError {
  if (error instanceof AppError) {
    return {
      ok: false,
      error: {
        code: error.code,
        message: error.message,
        ...(error.extra.issues ? { issues: error.extra.issues } : {}),
        ...(error.extra.retryAfterSeconds !== undefined
          ? { retryAfterSeconds: error.extra.retryAfterSeconds }
          : {}),
      },
    };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      ok: false,
      error: {
        code: 'SERVICE_UNAVAILABLE',
        message: 'The service is temporarily unavailable; try again',
      },
    };
  }
  log.error({ err: error }, 'unhandled error in socket handler');
  return { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong on our side' } };
}

function validationError(error: z.ZodError): AckError {
  const issues = error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  return {
    ok: false,
    error: {
      code: 'VALIDATION_FAILED',
      message: first
        ? `${first.path === '' ? 'The payload' : `"${first.path}"`}: ${first.message}`
        : 'The payload is not valid',
      issues,
    },
  };
}

/** How a client event ended: answered, refused with an error, invalid payload, or over the
 * connection's allowance. */
export type SocketEventResult = 'ok' | 'error' | 'invalid' | 'rate_limited';

/** Hears each handled client event with its handling time in seconds (metrics). */
export type SocketEventObserver = (
  event: ClientEvent,
  result: SocketEventResult,
  seconds: number,
) => void;

/** Typing events: at most one "is typing" per conversation per second from one socket. */
const typingIntervalMs = 1000;

/**
 * Thin socket handlers: validate the payload with the protocol schema, run one domain action
 * (the runner publishes its events after commit), answer through the ack.
 */
export function registerHandlers(
  socket: Socket,
  actor: Actor,
  ctx: DomainContext,
  run: RunAction,
  log: FastifyBaseLogger,
  limits: { burst: number; perMinute: number },
  observe?: SocketEventObserver,
): void {
  // Every event this socket sends, reads included, takes from one bucket before any work.
  const events = new MessageRateLimit(limits.burst, limits.perMinute);
  function on<S extends z.ZodType>(event: ClientEvent, schema: S, handle: Handler<S>): void {
    socket.on(event, async (payload: unknown, ack: unknown) => {
      const started = observe ? performance.now() : 0;
      const answer =
        typeof ack === 'function' ? (ack as (answer: unknown) => void) : () => undefined;
      const reply = (result: SocketEventResult, value: unknown) => {
        observe?.(event, result, (performance.now() - started) / 1000);
        answer(value);
      };
      const waitMs = events.take('socket');
      if (waitMs > 0) {
        const retryAfterSeconds = Math.ceil(waitMs / 1000);
        reply('rate_limited', {
          ok: false,
          error: {
            code: 'RATE_LIMITED',
            message: `Too many requests on this connection. Try again in ${retryAfterSeconds} s.`,
            retryAfterSeconds,
          },
        });
        return;
      }
      const parsed = schema.safeParse(payload ?? {});
      if (!parsed.success) {
        reply('invalid', validationError(parsed.error));
        return;
      }
      try {
        const data = await handle(parsed.data, actor, typeof ack === 'function');
        reply('ok', { ok: true, ...(data ?? {}) });
      } catch (error) {
        reply('error', ackError(error, log));
      }
    });
  }

  on(ClientEvent.SendMessage, SocketSendMessage, async (input, who, acked) => {
    // The ack carries the message: this socket does not get it a second time as an event.
    const caller = acked ? { connectionId: socket.id } : undefined;
    const { message, conversation } = await run(
      sendMessage(ctx, who, input, { ip: socket.data.address as string }),
      caller,
    );
    return { message, conversation };
  });

  on(ClientEvent.ListMessages, SocketListMessages, (input, who) =>
    listMessages(ctx, who, input.conversationId, input),
  );

  on(ClientEvent.MarkRead, SocketMarkRead, async (input, who) => {
    return run(markRead(ctx, who, input.conversationId, input.seq));
  });

  const lastTyping = new Map<string, number>();
  on(ClientEvent.Typing, SocketTyping, async (input, who) => {
    const now = Date.now();
    const previous = lastTyping.get(input.conversationId);
    if (input.isTyping && now - (previous ?? 0) < typingIntervalMs) {
      return { throttled: true };
    }
    // The window starts before the await, so events arriving meanwhile see it (one broadcast a
    // second however many come at once); a refused event gives it back.
    if (input.isTyping) lastTyping.set(input.conversationId, now);
    else lastTyping.delete(input.conversationId);
    try {
      await run(notifyTyping(ctx, who, input.conversationId, input.isTyping));
    } catch (error) {
      if (input.isTyping && lastTyping.get(input.conversationId) === now) {
        if (previous === undefined) lastTyping.delete(input.conversationId);
        else lastTyping.set(input.conversationId, previous);
      }
      throw error;
    }
    return null;
  });

  on(ClientEvent.SetStatus, SocketSetStatus, async (input, who) => {
    const actor = authorizeCaller(who, callers.console, 'socket');
    return { agent: await run(setAgentStatus(ctx, actor, input.status)) };
  });

  on(ClientEvent.ListConversations, SocketListConversations, async (input, who) => {
    const actor = authorizeCaller(who, callers.console, 'socket');
    return {
      conversations: await listConversations(ctx, actor, input),
      agents: await listAgentPresence(ctx, actor),
    };
  });

  on(ClientEvent.CreateNote, SocketCreateNote, async (input, who, acked) => {
    const actor = authorizeCaller(who, callers.console, 'socket');
    // The ack carries the note: this socket does not get it a second time as an event.
    const caller = acked ? { connectionId: socket.id } : undefined;
    const { note } = await run(
      createNote(ctx, actor, input.conversationId, {
        clientNoteId: input.clientNoteId,
        body: input.body,
      }),
      caller,
    );
    return { note };
  });

  on(ClientEvent.EndConversation, SocketConversationRef, async (input, who) => {
    const actor = authorizeCaller(who, callers.console, 'socket');
    return { conversation: await run(endConversation(ctx, actor, input.conversationId)) };
  });

  // The User-Agent of the handshake, read once per connection.
  let device: VisitorDevice | undefined;
  on(ClientEvent.ReportContext, VisitorContextReport, async (input, who) => {
    const visitor = authorizeCaller(who, callers.visitors, 'socket');
    device ??= deviceOfUserAgent(socket.handshake.headers['user-agent']);
    return run(reportVisitorContext(ctx, visitor, input, device));
  });

  for (const [event, move] of [
    [ClientEvent.TransferConversation, transferConversation],
    [ClientEvent.AssignConversation, assignConversation],
  ] as const) {
    on(event, SocketTransfer, async (input, who) => {
      const actor = authorizeCaller(who, callers.console, 'socket');
      return { conversation: await run(move(ctx, actor, input.conversationId, input.agentId)) };
    });
  }
}
