import type { Server } from 'socket.io';
import type { FileUrls } from '../auth/fileUrls.js';
import type { DomainEvent } from '../domain/events.js';
import { fanOut } from './fanout.js';

/** Sends events once their transaction has committed. The one place that emits. */
export type Publish = (events: DomainEvent[]) => void;

export function createPublisher(io: Server, urls: FileUrls): Publish {
  return (events) => {
    for (const event of events) {
      for (const delivery of fanOut(event, urls)) {
        let target = io.to(delivery.rooms);
        if (delivery.except) target = target.except(delivery.except);
        if (delivery.kind === 'emit') {
          target.emit(delivery.event, delivery.payload);
        } else {
          target.disconnectSockets(true);
        }
      }
    }
  };
}
