import type { Server } from 'socket.io';
import type { FileUrls } from '../auth/fileUrls.js';
import type { DomainEvent } from '../domain/events.js';
import { fanOut, type Delivery } from './fanout.js';

/**
 * Sends events once their transaction has committed. The one place that emits. `answered`: the
 * socket whose ack already carries this message (the one that sent it) does not get it again as
 * `message.created`; its other sockets, and everyone else, do.
 */
export type Publish = (events: DomainEvent[], answered?: Answered) => void;

export interface Answered {
  socketId: string;
  messageId: string;
}

export function createPublisher(
  io: Server,
  urls: FileUrls,
  options: {
    /** Events also go to other nodes (Redis): never skip an emit for want of local listeners. */
    clustered: boolean;
  },
): Publish {
  const localRooms = io.of('/').adapter.rooms;
  return (events, answered) => {
    for (const event of events) {
      const skipSender =
        answered && event.type === 'message.created' && event.message.id === answered.messageId;
      for (const delivery of fanOut(event, urls)) {
        const except = skipSender
          ? [...(delivery.except ?? []), answered.socketId]
          : delivery.except;
        // One node: a room with nobody in it is not encoded and broadcast for nothing.
        if (!options.clustered && !reachesAnyone(localRooms, delivery.rooms, except)) continue;
        let target = io.to(delivery.rooms);
        if (except) target = target.except(except);
        if (delivery.kind === 'emit') {
          target.emit(delivery.event, delivery.payload);
        } else {
          target.disconnectSockets(true);
        }
      }
    }
  };
}

/** Whether any socket on this node is in one of `rooms` and in none of `except`. */
function reachesAnyone(
  rooms: Map<string, Set<string>>,
  targets: Delivery['rooms'],
  except: string[] | undefined,
): boolean {
  for (const room of targets) {
    for (const socketId of rooms.get(room) ?? []) {
      if (!except?.some((excluded) => rooms.get(excluded)?.has(socketId))) return true;
    }
  }
  return false;
}
