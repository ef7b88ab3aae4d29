/**
 * The demo host page (`npm run demo`, served at /demo/): it plays a website whose visitors are
 * signed in. It lists the server's nine sample users with their unread counts (read through the
 * public API a host app would use: a visitor session, then GET /api/v1/visitor/unread), and a
 * click opens the chat as that user through the real embed.js (`setUser`, then `open`).
 * Framework-free: it is a page to read as an integration example.
 */
import { parseLocale, type Locale } from '@servicesystem/chat-client';
import type { VisitorSessionResponse } from '@servicesystem/protocol/wire';
import { initialLocale, localeStorageKey, rememberLocale } from '../localeChoice';
import './demo.css';

interface DemoUser {
  key: string;
  name: string;
  avatarUrl: string;
  identity: string;
}
interface DemoData {
  channelId: string;
  users: DemoUser[];
}
/** What window.ServiceSystem offers (embed.ts), as far as this page uses it. */
interface EmbedApi {
  open(): void;
  setUser(identity: string): void;
  on(event: 'unread' | 'ready', fn: (value?: unknown) => void): void;
  readonly unread: number;
}

const words = {
  'zh-CN': {
    title: 'ServiceSystem 演示',
    demo: '演示',
    heading: '以网站用户的身份联系客服',
    intro:
      '这个页面扮演一个用户已登录的网站。点击下面的任一用户，就会以该用户的身份打开右下角的客服窗口：身份由服务器签名，客服在控制台里看到的是这个用户的名字和头像。',
    agentHint: '在另一个标签页打开',
    agentLink: '客服控制台',
    agentHint2: '，以客服身份登录即可回复。',
    users: '示例用户',
    unread: '未读',
    chatting: '正在以此身份聊天',
    chat: '聊天',
    fullPage: '整页打开',
    unreadHow: '未读数来自公开接口 GET /api/v1/visitor/unread，每 5 秒刷新。',
    note: '演示数据：请不要输入真实的个人信息。',
    loading: '正在加载…',
    failed: '演示模式未开启或服务器不可用。请用 npm run demo 启动服务器后刷新本页。',
    retry: '重试',
    other: 'English',
  },
  en: {
    title: 'ServiceSystem demo',
    demo: 'Demo',
    heading: 'Contact support as a signed-in user',
    intro:
      'This page plays a website whose visitors are signed in. Click any user below and the chat in the corner opens as that user: the server signs their identity, so agents see their name and picture in the console.',
    agentHint: 'Open the ',
    agentLink: 'agent console',
    agentHint2: ' in another tab and sign in as an agent to reply.',
    users: 'Sample users',
    unread: 'unread',
    chatting: 'Chatting as this user',
    chat: 'Chat',
    fullPage: 'Full page',
    unreadHow:
      'Unread counts come from the public GET /api/v1/visitor/unread, refreshed every 5 s.',
    note: 'Sample data: please do not enter real personal information.',
    loading: 'Loading…',
    failed:
      'Demo mode is off or the server cannot be reached. Start the server with npm run demo, then reload this page.',
    retry: 'Retry',
    other: '中文',
  },
} satisfies Record<Locale, Record<string, string>>;

// ---- language: the same rule and the same remembered choice as the chat page (same origin)

let locale: Locale = initialLocale(new URLSearchParams(location.search).get('locale'));
const w = () => words[locale];

// ---- state

const root = document.getElementById('demo')!;
let data: DemoData | null = null;
let failed = false;
const unread = new Map<string, number>();
/** The user the chat is open as (null: the anonymous visitor embed.js starts with). */
let current: string | null = null;

// ---- the public API a host app would call from its own backend or page

const sessions = new Map<string, { token: string; expiresAt: number }>();

async function visitorToken(user: DemoUser, channelId: string, fresh = false): Promise<string> {
  const known = sessions.get(user.key);
  if (known && !fresh && known.expiresAt > Date.now() + 60_000) return known.token;
  const response = await fetch('/api/v1/visitor/session', {
    method: 'POST',
    credentials: 'omit',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ channelId, identity: user.identity }),
  });
  if (!response.ok) throw new Error(`session ${response.status}`);
  const session = (await response.json()) as VisitorSessionResponse;
  sessions.set(user.key, { token: session.visitorToken, expiresAt: session.expiresAt });
  return session.visitorToken;
}

async function unreadOf(user: DemoUser, channelId: string): Promise<number> {
  for (const fresh of [false, true]) {
    const token = await visitorToken(user, channelId, fresh);
    const response = await fetch('/api/v1/visitor/unread', {
      credentials: 'omit',
      headers: { Authorization: `Bearer ${token}` },
    });
    if (response.status === 401) continue; // an expired token: once more with a new session
    if (!response.ok) throw new Error(`unread ${response.status}`);
    return ((await response.json()) as { unread: number }).unread;
  }
  throw new Error('unread: no session');
}

async function refreshUnread() {
  const d = data;
  if (!d || document.visibilityState !== 'visible') return;
  await Promise.all(
    d.users.map(async (user) => {
      try {
        unread.set(user.key, await unreadOf(user, d.channelId));
      } catch {
        // kept as it was; the next round tries again
      }
    }),
  );
  renderUnread();
}

// ---- the chat: the real embed.js, as a website includes it

let embedLoaded: Promise<EmbedApi | null> | null = null;

function loadEmbed(channelId: string): Promise<EmbedApi | null> {
  embedLoaded ??= new Promise((resolve) => {
    const script = document.createElement('script');
    script.src = '/embed.js';
    script.async = true;
    script.dataset.channel = channelId;
    script.onload = () => {
      const api = (window as Window & { ServiceSystem?: EmbedApi }).ServiceSystem ?? null;
      // The open chat's own count is live: the list shows it at once for the current user.
      api?.on('unread', (count) => {
        if (current && typeof count === 'number') {
          unread.set(current, count);
          renderUnread();
        }
      });
      resolve(api);
    };
    script.onerror = () => resolve(null);
    document.body.appendChild(script);
  });
  return embedLoaded;
}

/** embed.js draws its panel once the server agrees (a moment after it loads); false if never. */
async function embedDrawn(): Promise<boolean> {
  for (let waited = 0; waited < 3000; waited += 100) {
    if (document.querySelector('[data-servicesystem="panel"]')) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

function chatPageUrl(user: DemoUser, channelId: string): string {
  const query = new URLSearchParams({ channel: channelId, identity: user.identity });
  return `/chat/?${query.toString()}`;
}

async function chatAs(user: DemoUser) {
  const d = data;
  if (!d) return;
  const api = await loadEmbed(d.channelId);
  // No embed (not loaded, or the server refused this site): the chat page itself, in a new tab.
  if (!api || !(await embedDrawn())) {
    window.open(chatPageUrl(user, d.channelId), '_blank', 'noopener');
    return;
  }
  if (current !== user.key) {
    current = user.key;
    api.setUser(user.identity);
    render();
  }
  api.open();
}

// ---- drawing

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

function avatar(user: DemoUser): HTMLElement {
  const box = el('span', { class: 'avatar', 'aria-hidden': 'true' });
  const letter = () => box.replaceChildren(Array.from(user.name)[0] ?? '?');
  if (user.avatarUrl) {
    const img = el('img', { src: user.avatarUrl, alt: '', loading: 'lazy' });
    img.onerror = letter;
    box.append(img);
  } else letter();
  return box;
}

function unreadBadge(user: DemoUser): HTMLElement {
  const count = unread.get(user.key);
  const badge = el(
    'span',
    {
      class: `unread${count ? ' unread--some' : ''}`,
      'data-test': 'demo-unread',
      'data-count': String(count ?? ''),
      title: w().unread,
    },
    count === undefined ? '–' : count > 99 ? '99+' : String(count),
  );
  return badge;
}

function renderUnread() {
  if (!data) return;
  for (const user of data.users) {
    const slot = root.querySelector(`[data-key="${CSS.escape(user.key)}"] .unread`);
    slot?.replaceWith(unreadBadge(user));
  }
}

function userRow(user: DemoUser, channelId: string): HTMLElement {
  const isCurrent = current === user.key;
  // Named by what it shows (name, state, unread count), as it is read out.
  const main = el(
    'button',
    { type: 'button', class: 'user__main' },
    avatar(user),
    el(
      'span',
      { class: 'user__text' },
      el('span', { class: 'user__name' }, user.name),
      el('span', { class: 'user__state' }, isCurrent ? w().chatting : w().chat),
    ),
    el('span', { class: 'sr-only' }, w().unread),
    unreadBadge(user),
  );
  main.addEventListener('click', () => void chatAs(user));
  const full = el(
    'a',
    {
      class: 'user__full',
      href: chatPageUrl(user, channelId),
      target: '_blank',
      rel: 'noopener',
      title: w().fullPage,
      'aria-label': `${w().fullPage}: ${user.name}`,
    },
    el('span', { class: 'user__full-text' }, w().fullPage),
  );
  full.insertAdjacentHTML(
    'beforeend',
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M14 5h5v5M19 5l-8 8M17 14v5H5V7h5"/></svg>',
  );
  return el(
    'li',
    {
      class: `user${isCurrent ? ' user--current' : ''}`,
      'data-test': 'demo-user',
      'data-name': user.name,
      'data-key': user.key,
    },
    main,
    full,
  );
}

function render() {
  document.documentElement.lang = locale;
  document.title = w().title;
  const language = el('button', { type: 'button', class: 'language', lang: '' }, w().other);
  language.setAttribute('lang', locale === 'en' ? 'zh-CN' : 'en');
  language.addEventListener('click', () => {
    locale = locale === 'en' ? 'zh-CN' : 'en';
    rememberLocale(locale); // the chat in its frame follows (a storage event)
    render();
  });

  const top = el(
    'header',
    { class: 'top' },
    el(
      'div',
      { class: 'brand' },
      el('span', { class: 'brand__logo', 'aria-hidden': 'true' }),
      el('span', { class: 'brand__name' }, 'ServiceSystem'),
      el('span', { class: 'pill', 'data-test': 'demo-badge' }, w().demo),
    ),
    language,
  );
  top.querySelector('.brand__logo')!.innerHTML =
    '<svg viewBox="0 0 24 24"><path d="M4 5.5h16v10.5H9.5L5.5 19.5V16H4z"/></svg>';

  const intro = el(
    'section',
    { class: 'intro' },
    el('p', { class: 'intro__kicker' }, w().demo),
    el('h1', {}, w().heading),
    el('p', {}, w().intro),
    el(
      'p',
      { class: 'intro__agent' },
      w().agentHint,
      el('a', { href: '/console/', target: '_blank', rel: 'noopener' }, w().agentLink),
      w().agentHint2,
    ),
  );

  let body: HTMLElement;
  if (data) {
    const d = data;
    body = el(
      'section',
      { class: 'users', 'aria-labelledby': 'users-title' },
      el(
        'h2',
        { id: 'users-title' },
        w().users,
        el('span', { class: 'users__count' }, String(d.users.length)),
      ),
      el('ul', { class: 'users__list' }, ...d.users.map((user) => userRow(user, d.channelId))),
      el('p', { class: 'users__how' }, w().unreadHow),
    );
  } else if (failed) {
    const retry = el('button', { type: 'button', class: 'retry' }, w().retry);
    retry.addEventListener('click', () => void load());
    body = el('section', { class: 'failed', role: 'alert' }, el('p', {}, w().failed), retry);
  } else {
    body = el('section', { class: 'loading' }, w().loading);
  }

  root.replaceChildren(
    top,
    el('main', { class: 'page' }, intro, body, el('p', { class: 'note' }, w().note)),
  );
}

// ---- start

let poller: ReturnType<typeof setInterval> | undefined;

async function load() {
  failed = false;
  render();
  try {
    const response = await fetch('/demo/api/users', { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`users ${response.status}`);
    data = (await response.json()) as DemoData;
  } catch {
    failed = true;
    render();
    return;
  }
  render();
  void loadEmbed(data.channelId);
  void refreshUnread();
  clearInterval(poller);
  poller = setInterval(() => void refreshUnread(), 5000);
}

window.addEventListener('storage', (event) => {
  const next = event.key === localeStorageKey ? parseLocale(event.newValue) : null;
  if (next && next !== locale) {
    locale = next;
    render();
  }
});
document.addEventListener('visibilitychange', () => void refreshUnread());
void load();
