import type { Server } from 'socket.io';
import type { FileUrls } from '../auth/fileUrls.js';
import type { DomainEvent } from '../domain/events.js';
import type { Caller, CommittedListener } from '../domain/runner.js';
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
  // Snapshots whose latest supersedes the ones before: an agent's presence, the queue's places.
  // Those committed within one turn of the event loop go out once, at its end: a burst of new
  // conversations otherwise sends every console an agent.status per conversation.
  const latestPresence = new Map<string, DomainEvent>();
  let latestPositions: DomainEvent | undefined;
  let flushScheduled = false;
  const flushSnapshots = () => {
    flushScheduled = false;
    const snapshots = [...latestPresence.values()];
    if (latestPositions) snapshots.push(latestPositions);
    latestPresence.clear();
    latestPositions = undefined;
    for (const event of snapshots) emitEvent(event, undefined);
  };
  const deliver = (events: readonly DomainEvent[], caller: Caller | undefined) => {
    for (const event of events) {
      if (event.type === 'agent.status' || event.type === 'queue.positions') {
        if (event.type === 'agent.status') latestPresence.set(event.presence.id, event);
        else latestPositions = event;
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flushSnapshots);
        }
        continue;
      }
      emitEvent(event, caller);
    }
  };
  function emitEvent(event: DomainEvent, caller: Caller | undefined): void {
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
  return deliver;
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
