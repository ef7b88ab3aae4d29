/**
 * ServiceSystem website loader: one <script src=".../embed.js" data-channel="…" async> tag draws a
 * chat bubble; a click opens the visitor page in an iframe panel. Framework-free and small.
 *
 * Before drawing anything it asks the server whether this site may show the channel
 * (GET /api/v1/embed/check): when not, or when the channel does not exist, it draws nothing and
 * says why in one console warning. When the server cannot answer it draws as usual (the chat
 * page's own frame-ancestors policy still protects it).
 *
 * Talks to the iframe by postMessage: it sends only to the server's origin and accepts only
 * messages from that origin and that iframe. Nothing here may break the host page: every entry
 * point is guarded, and every element is fixed-position (no layout shift).
 */

import {
  embedMessageSource as tag,
  type EmbedCheckResponse,
  type EmbedCommand,
  type EmbedEvent,
} from '@servicesystem/protocol/wire';

type Listener = (value?: unknown) => void;

interface ServiceSystemApi {
  open(): void;
  close(): void;
  toggle(): void;
  setUser(identityToken: string): void;
  logout(): void;
  on(event: 'unread' | 'message' | 'rating' | 'ready' | 'open' | 'close', fn: Listener): void;
  off(event: string, fn: Listener): void;
  readonly unread: number;
  readonly isOpen: boolean;
}

const host = window as Window & { ServiceSystem?: ServiceSystemApi };

const z = '2147483000';

/** The one way this loader speaks to the site's developer: a warning in the browser console. */
function say(text: string) {
  // eslint-disable-next-line no-console -- telling the integrator why no chat is drawn is the point
  console.warn(`[ServiceSystem] ${text}`);
}

/**
 * Whether to draw the chat: false (after one warning) when the server says this site is not
 * allowed or the channel does not exist; true when allowed, and when the server could not say
 * (network, 5xx, rate limit, old browser).
 */
async function checkSite(server: string, channel: string): Promise<boolean> {
  if (typeof fetch !== 'function') return true;
  const abort = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = setTimeout(() => abort?.abort(), 8000);
  try {
    const url = `${server}/api/v1/embed/check?channel=${encodeURIComponent(channel)}`;
    const response = await fetch(url, {
      credentials: 'omit',
      mode: 'cors',
      signal: abort?.signal,
    });
    if (response.status === 404) {
      say(
        `The chat channel "${channel}" does not exist on ${server}, so no chat is shown. ` +
          `Copy the script tag again from the console: ${server}/console/ → Channels.`,
      );
      return false;
    }
    if (!response.ok) return true;
    const answer = (await response.json()) as Partial<EmbedCheckResponse>;
    if (answer.allowed !== false) return true;
    const origin = answer.origin || location.origin;
    say(
      `This site (${origin}) is not allowed to show the chat of channel ${channel}. ` +
        `An admin can allow it in the console: ${server}/console/ → Settings → Channels → Allowed websites.`,
    );
    return false;
  } catch {
    return true;
  } finally {
    clearTimeout(timer);
  }
}

function findScript(): HTMLScriptElement | null {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.channel) return current;
  const all = document.querySelectorAll<HTMLScriptElement>('script[data-channel][src*="embed.js"]');
  return all[all.length - 1] ?? null;
}

function css(el: HTMLElement, styles: Record<string, string>) {
  for (const key in styles) el.style.setProperty(key, styles[key]!);
}

function install(script: HTMLScriptElement) {
  const server = new URL(script.src, location.href).origin;
  const data = script.dataset;
  const channel = data.channel!;
  const side = data.position === 'left' ? 'left' : 'right';
  const color = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(data.color ?? '') ? data.color! : '#1f6feb';
  const listeners: Record<string, Listener[]> = {};
  let ready = false;
  let open = false;
  let unread = 0;
  let pending: EmbedCommand[] = [];

  const emit = (event: string, value?: unknown) => {
    for (const fn of listeners[event] ?? []) {
      try {
        fn(value);
      } catch (error) {
        setTimeout(() => {
          throw error; // the host's own handler failed: report it, outside our code
        });
      }
    }
  };

  const query = new URLSearchParams({ channel, embed: '1', host: location.origin });
  if (data.locale) query.set('locale', data.locale);
  if (data.title) query.set('title', data.title);
  if (data.color) query.set('color', color);

  // ---- the bubble
  const bubble = document.createElement('button');
  bubble.type = 'button';
  const name = data.title || 'Chat';
  bubble.setAttribute('aria-label', name);
  // The unread count in words, in the language the chat will speak (data-locale, else the browser's).
  const chinese = /^zh/i.test(data.locale || navigator.language || '');
  const unreadName = (count: string) =>
    chinese ? `${name}，${count} 条未读` : `${name}, ${count} unread`;
  bubble.setAttribute('data-servicesystem', 'bubble');
  css(bubble, {
    position: 'fixed',
    bottom: '20px',
    [side]: '20px',
    width: '56px',
    height: '56px',
    'border-radius': '50%',
    border: '0',
    padding: '0',
    margin: '0',
    background: color,
    color: '#fff',
    cursor: 'pointer',
    'box-shadow': '0 6px 20px rgba(15,23,42,.24)',
    'z-index': z,
    display: 'none',
    'align-items': 'center',
    'justify-content': 'center',
    transition: 'transform .15s ease',
  });
  const svgNs = 'http://www.w3.org/2000/svg';
  const icon = document.createElementNS(svgNs, 'svg');
  icon.setAttribute('viewBox', '0 0 24 24');
  icon.setAttribute('width', '28');
  icon.setAttribute('height', '28');
  icon.setAttribute('aria-hidden', 'true');
  const path = document.createElementNS(svgNs, 'path');
  path.setAttribute('fill', 'none');
  path.setAttribute('stroke', 'currentColor');
  path.setAttribute('stroke-width', '1.8');
  path.setAttribute('stroke-linejoin', 'round');
  const chatPath = 'M4 5.5h16v10.5H9.5L5.5 19.5V16H4z';
  const closePath = 'M6.5 6.5l11 11M17.5 6.5l-11 11';
  path.setAttribute('d', chatPath);
  icon.appendChild(path);
  bubble.appendChild(icon);

  const badge = document.createElement('span');
  badge.setAttribute('data-servicesystem', 'badge');
  css(badge, {
    position: 'absolute',
    top: '-2px',
    right: '-2px',
    'min-width': '20px',
    height: '20px',
    padding: '0 5px',
    'box-sizing': 'border-box',
    'border-radius': '10px',
    background: '#cc2f36', // white reads on it at 5:1
    color: '#fff',
    font: '600 12px/20px -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Arial,sans-serif',
    'text-align': 'center',
    border: '2px solid #fff',
    display: 'none',
  });
  bubble.appendChild(badge);

  // ---- the panel with the iframe, loaded at once (hidden) so unread counts arrive closed
  const panel = document.createElement('div');
  panel.setAttribute('data-servicesystem', 'panel');
  const frame = document.createElement('iframe');
  frame.src = `${server}/chat/?${query.toString()}`;
  frame.title = name;
  frame.setAttribute('allow', 'camera; microphone; fullscreen; clipboard-write');
  frame.setAttribute('referrerpolicy', 'origin');
  css(frame, {
    width: '100%',
    height: '100%',
    border: '0',
    display: 'block',
    background: '#f3f5f8',
  });
  panel.appendChild(frame);

  const phone = window.matchMedia ? window.matchMedia('(max-width: 600px)') : null;
  const layout = () => {
    const small = !!phone && phone.matches;
    css(panel, {
      position: 'fixed',
      'z-index': z,
      overflow: 'hidden',
      background: '#f3f5f8',
      transition: 'opacity .18s ease, transform .18s ease, visibility .18s',
      opacity: open ? '1' : '0',
      visibility: open ? 'visible' : 'hidden',
      'pointer-events': open ? 'auto' : 'none',
      transform: open ? 'none' : 'translateY(12px)',
    });
    if (small) {
      css(panel, {
        top: '0',
        left: '0',
        right: '0',
        bottom: '0',
        width: '100%',
        height: '100%',
        'border-radius': '0',
        'box-shadow': 'none',
      });
    } else {
      css(panel, {
        top: 'auto',
        bottom: '88px',
        [side]: '20px',
        [side === 'right' ? 'left' : 'right']: 'auto',
        width: '380px',
        height: 'min(640px, calc(100vh - 112px))',
        'border-radius': '14px',
        'box-shadow': '0 12px 40px rgba(15,23,42,.22)',
      });
    }
    // On phones the panel covers the bubble; the page's own close button closes it.
    bubble.style.display = ready && !(small && open) ? 'flex' : 'none';
    path.setAttribute('d', open ? closePath : chatPath);
    const shown = unread > 0 && !open;
    badge.style.display = shown ? 'block' : 'none';
    badge.textContent = unread > 99 ? '99+' : String(unread);
    // The button's name hides its badge from screen readers: the count is said in the name.
    bubble.setAttribute('aria-label', shown ? unreadName(badge.textContent) : name);
    bubble.setAttribute('aria-expanded', String(open));
  };
  if (phone) {
    if (phone.addEventListener) phone.addEventListener('change', layout);
    else phone.addListener(layout);
  }

  const post = (command: EmbedCommand) => {
    if (!ready || !frame.contentWindow) {
      pending.push(command);
      return;
    }
    frame.contentWindow.postMessage({ source: tag, command }, server);
  };

  const setOpen = (value: boolean) => {
    if (open === value) return;
    open = value;
    layout();
    post({ type: 'visibility', open });
    emit(open ? 'open' : 'close');
  };

  window.addEventListener('message', (event: MessageEvent) => {
    if (event.origin !== server || event.source !== frame.contentWindow) return;
    // From our own page, but checked as data anyway.
    const message = event.data as { source?: string; event?: Partial<EmbedEvent> } | null;
    if (!message || message.source !== tag || !message.event) return;
    const e = message.event;
    if (e.type === 'ready') {
      ready = true;
      const queued = pending;
      pending = [];
      post({ type: 'visibility', open });
      for (const command of queued) post(command);
      layout();
      emit('ready');
    } else if (e.type === 'unread' && typeof e.count === 'number') {
      unread = e.count;
      layout();
      emit('unread', unread);
    } else if (e.type === 'message') {
      emit('message', e.message);
    } else if (
      e.type === 'rating' &&
      typeof e.conversationId === 'string' &&
      typeof e.score === 'number'
    ) {
      // The visitor rated the conversation that just ended.
      emit('rating', { conversationId: e.conversationId, score: e.score });
    } else if (e.type === 'close') {
      setOpen(false);
    }
  });

  bubble.addEventListener('click', () => setOpen(!open));
  layout();

  // ---- where the visitor is on this site, for the agents: sent to the chat page when it
  // changes. Back/forward and hash changes are heard at once; pushState, replaceState and title
  // changes by a look once a second (the site's history functions are left as they are).
  // data-context="off": nothing of the page is sent.
  let reported = '';
  const report = () => {
    try {
      const page = {
        url: location.href,
        title: document.title,
        referrer: document.referrer,
        language: navigator.language,
        timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      };
      const key = JSON.stringify(page);
      if (key !== reported) post({ type: 'context', page });
      reported = key;
    } catch {
      // an old browser: the chat works without it
    }
  };

  const mount = () => {
    document.body.appendChild(panel);
    document.body.appendChild(bubble);
    if (data.context === 'off') return;
    report();
    setInterval(report, 1000);
    window.addEventListener('popstate', report);
    window.addEventListener('hashchange', report);
  };
  // The API exists at once (the host may call it early); the chat is drawn once the server agrees.
  void checkSite(server, channel).then((allowed) => {
    if (!allowed) return;
    if (document.body) mount();
    else document.addEventListener('DOMContentLoaded', mount);
  });

  const api: ServiceSystemApi = {
    open: () => setOpen(true),
    close: () => setOpen(false),
    toggle: () => setOpen(!open),
    setUser: (identityToken: string) => {
      if (typeof identityToken === 'string' && identityToken)
        post({ type: 'setUser', identity: identityToken });
    },
    logout: () => post({ type: 'logout' }),
    on: (event, fn) => {
      if (typeof fn === 'function') (listeners[event] = listeners[event] ?? []).push(fn);
    },
    off: (event, fn) => {
      listeners[event] = (listeners[event] ?? []).filter((f) => f !== fn);
    },
    get unread() {
      return unread;
    },
    get isOpen() {
      return open;
    },
  };
  return api;
}

try {
  if (!host.ServiceSystem) {
    const script = findScript();
    if (script) host.ServiceSystem = install(script);
    else if (document.currentScript instanceof HTMLScriptElement)
      say('The script tag has no data-channel attribute, so no chat is shown.');
  }
} catch {
  // A loader that cannot start leaves the host page exactly as it was.
}
