/**
 * Talks to the website that embeds this page (embed.js) by postMessage. The embedding origin
 * comes in the URL (`host=`) and is believed only when the browser confirms it is really our
 * parent (location.ancestorOrigins, or the referrer); messages go to that origin only and are
 * accepted from it only. Outside a frame, or with a host that does not match, the bridge is off.
 */
import {
  embedMessageSource as tag,
  type EmbedCommand,
  type EmbedEvent,
} from '@servicesystem/protocol/wire';

function verifiedHostOrigin(claimed: string | null): string | null {
  if (!claimed || window.parent === window) return null;
  let origin: string;
  try {
    origin = new URL(claimed).origin;
  } catch {
    return null;
  }
  if (origin !== claimed) return null;
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  if (ancestors && ancestors.length > 0) return ancestors[0] === origin ? origin : null;
  try {
    return document.referrer && new URL(document.referrer).origin === origin ? origin : null;
  } catch {
    return null;
  }
}

export interface HostBridge {
  readonly embedded: boolean;
  post(event: EmbedEvent): void;
  onCommand(handler: (command: EmbedCommand) => void): void;
}

export function createHostBridge(claimedHost: string | null): HostBridge {
  const origin = verifiedHostOrigin(claimedHost);
  const handlers: Array<(command: EmbedCommand) => void> = [];
  if (origin) {
    window.addEventListener('message', (event: MessageEvent) => {
      if (event.origin !== origin || event.source !== window.parent) return;
      const data = event.data as { source?: string; command?: EmbedCommand } | null;
      if (!data || data.source !== tag || !data.command) return;
      const command = data.command;
      if (
        (command.type === 'visibility' && typeof command.open === 'boolean') ||
        (command.type === 'setUser' && typeof command.identity === 'string') ||
        command.type === 'logout' ||
        (command.type === 'context' && typeof command.page === 'object' && command.page !== null)
      ) {
        for (const handler of handlers) handler(command);
      }
    });
  }
  return {
    embedded: origin !== null,
    post(event) {
      if (origin) window.parent.postMessage({ source: tag, event }, origin);
    },
    onCommand(handler) {
      handlers.push(handler);
    },
  };
}
