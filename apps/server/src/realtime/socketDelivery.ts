import type { Server } from 'socket.io';
import type { FileUrls } from '../auth/fileUrls.js';
import type { CommittedListener } from '../domain/runner.js';
import { fanOut, type Delivery } from './fanout.js';

/**
 * The runner's listener that sends committed events to sockets: the one place that emits. The
 * calling socket (`caller`), whose ack already carries its own message (`inReply`), does not get
 * it again as `message.created`; its other sockets, and everyone else, do.
 */
export function createSocketDelivery(
  io: Server,
  urls: FileUrls,
  options: {
    /** Events also go to other nodes (Redis): never skip an emit for want of local listeners. */
    clustered: boolean;
  },
): CommittedListener {
  const localRooms = io.of('/').adapter.rooms;
  return (events, caller) => {
    for (const event of events) {
      const skipCaller =
        caller &&
        (event.type === 'message.created' || event.type === 'note.created') &&
        event.inReply === true;
      for (const delivery of fanOut(event, urls)) {
        const except = skipCaller
          ? [...(delivery.except ?? []), caller.connectionId]
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
