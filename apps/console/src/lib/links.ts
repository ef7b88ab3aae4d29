/** The visitor page for a channel: what apps open instead of embedding, and "try it" links. */
export function visitorPageUrl(channelId: string): string {
  return `${location.origin}/chat/?channel=${encodeURIComponent(channelId)}`;
}

/** The embed snippet a website pastes before </body>. */
export function embedSnippet(channelId: string): string {
  return (
    `<script src="${location.origin}/embed.js" data-channel="${channelId}" async><` + '/script>'
  );
}

/** Where agents sign in. */
export function consoleUrl(): string {
  return `${location.origin}/console/`;
}
