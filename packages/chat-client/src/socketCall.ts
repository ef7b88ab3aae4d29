import type { Ack } from '@servicesystem/protocol/wire';
import { ApiError } from './apiError.js';

/** The part of a Socket.IO client socket that `callWithAck` uses. */
export interface AckSocket {
  readonly connected: boolean;
  timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> };
}

/**
 * Emits one client event and waits for its acknowledgement (`{ok: true, ...}` or
 * `{ok: false, error}`). Rejects with an ApiError: the server's code, `NETWORK` when the socket is
 * not connected (nothing was sent), `TIMEOUT` when no answer came (the event may have arrived).
 */
export async function callWithAck<T extends object>(
  socket: AckSocket,
  event: string,
  payload: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  if (!socket.connected) throw new ApiError('NETWORK', 'not connected');
  let answer: unknown;
  try {
    answer = await socket.timeout(timeoutMs).emitWithAck(event, payload);
  } catch {
    throw new ApiError('TIMEOUT', 'no answer');
  }
  if (typeof answer !== 'object' || answer === null || !('ok' in answer)) {
    throw new ApiError('BAD_RESPONSE', 'malformed acknowledgement');
  }
  const ack = answer as Ack<T>;
  if (!ack.ok) throw ApiError.fromAck(ack.error);
  return ack;
}
