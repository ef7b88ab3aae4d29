/**
 * The mails the server writes, as plain text and simple HTML. Pure: every value that came from a
 * person (names, messages, the channel's name) is escaped in the HTML part, and the text part is
 * plain text. Written in the visitor's language (`zh-CN` or `en`) and time zone.
 */

export type MailLocale = 'zh-CN' | 'en';

export interface ComposedMail {
  subject: string;
  text: string;
  html: string;
}

/** One message as a mail lists it. */
export interface MailMessage {
  senderName: string;
  /** `visitor` lines are marked as the reader's own in a transcript. */
  senderType: 'visitor' | 'agent' | 'system' | 'robot';
  type: 'text' | 'image' | 'video' | 'system' | 'robot';
  body: string;
  createdAt: number;
}

const texts = {
  en: {
    replySubject: (channel: string) => `New reply from ${channel}`,
    replyIntro: (name: string, channel: string) =>
      `Hello ${name},\n\n${channel} replied to the message you left:`,
    replyLink: 'Read and answer in the conversation:',
    replyButton: 'Open the conversation',
    replyExpiry: 'The link works for 7 days. You can also come back to the chat on our site.',
    transcriptSubject: (channel: string) => `Your conversation with ${channel}`,
    transcriptIntro: (channel: string, from: string, to: string) =>
      `Here is your conversation with ${channel} (${from} – ${to}).`,
    you: 'You',
    image: '[image]',
    video: '[video]',
    footer: 'You received this mail because you asked for it on our chat page.',
  },
  'zh-CN': {
    replySubject: (channel: string) => `${channel} 回复了您`,
    replyIntro: (name: string, channel: string) => `${name}，您好：\n\n${channel} 回复了您的留言：`,
    replyLink: '在会话中查看并回复：',
    replyButton: '打开会话',
    replyExpiry: '链接 7 天内有效。您也可以回到我们网站的聊天窗口查看。',
    transcriptSubject: (channel: string) => `您与 ${channel} 的会话记录`,
    transcriptIntro: (channel: string, from: string, to: string) =>
      `以下是您与 ${channel} 的会话记录（${from} – ${to}）。`,
    you: '您',
    image: '[图片]',
    video: '[视频]',
    footer: '您在我们的聊天页面请求了这封邮件。',
  },
} as const;

/** HTML-escapes text (element content and quoted attribute values alike). */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A subject is one line: line breaks in a name would start new headers in a careless mailer. */
function oneLine(value: string): string {
  return value.replace(/[\r\n\t]+/g, ' ').trim();
}

function formatTime(at: number, locale: MailLocale, timeZone: string): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(at);
}

function bodyOf(message: MailMessage, locale: MailLocale): string {
  const t = texts[locale];
  if (message.type === 'image' || message.type === 'video') {
    const mark = message.type === 'image' ? t.image : t.video;
    return message.body ? `${mark} ${message.body}` : mark;
  }
  return message.body;
}

function textLines(messages: MailMessage[], locale: MailLocale, timeZone: string): string {
  return messages
    .map((m) => {
      const who = m.senderType === 'visitor' ? texts[locale].you : m.senderName;
      return `${who} · ${formatTime(m.createdAt, locale, timeZone)}\n${bodyOf(m, locale)}`;
    })
    .join('\n\n');
}

function htmlLines(messages: MailMessage[], locale: MailLocale, timeZone: string): string {
  return messages
    .map((m) => {
      const who = m.senderType === 'visitor' ? texts[locale].you : m.senderName;
      const body = escapeHtml(bodyOf(m, locale)).replace(/\r?\n/g, '<br>');
      return (
        `<div style="margin:0 0 14px">` +
        `<div style="font-size:12px;color:#64748b">${escapeHtml(who)} · ` +
        `${escapeHtml(formatTime(m.createdAt, locale, timeZone))}</div>` +
        `<div style="font-size:14px;line-height:1.55;color:#0f172a">${body}</div></div>`
      );
    })
    .join('');
}

function page(lang: MailLocale, inner: string, footer: string): string {
  return (
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"></head>` +
    `<body style="margin:0;padding:24px;background:#f5f7fa;font-family:-apple-system,Segoe UI,` +
    `Roboto,Helvetica,Arial,sans-serif">` +
    `<div style="max-width:560px;margin:0 auto;background:#fff;border-radius:10px;padding:24px">` +
    `${inner}</div>` +
    `<p style="max-width:560px;margin:12px auto 0;font-size:12px;color:#94a3b8">` +
    `${escapeHtml(footer)}</p></body></html>`
  );
}

/** The mail an agent's replies to a left message make: the messages since the last mail, and a
 * link back into the conversation. */
export function composeReplyMail(input: {
  locale: MailLocale;
  timeZone: string;
  channelName: string;
  visitorName: string;
  messages: MailMessage[];
  link: string;
}): ComposedMail {
  const t = texts[input.locale];
  const channel = oneLine(input.channelName);
  const intro = t.replyIntro(oneLine(input.visitorName), channel);
  const text = [
    intro,
    '',
    textLines(input.messages, input.locale, input.timeZone),
    '',
    t.replyLink,
    input.link,
    '',
    t.replyExpiry,
    '',
    '--',
    t.footer,
  ].join('\n');
  const html = page(
    input.locale,
    `<p style="font-size:14px;line-height:1.6;color:#0f172a;margin:0 0 16px">` +
      `${escapeHtml(intro).replace(/\n/g, '<br>')}</p>` +
      `<div style="border-left:3px solid #1677ff;padding:4px 0 0 14px;margin:0 0 18px">` +
      `${htmlLines(input.messages, input.locale, input.timeZone)}</div>` +
      `<p style="margin:0 0 12px"><a href="${escapeHtml(input.link)}" style="display:inline-block;` +
      `padding:10px 18px;border-radius:6px;background:#1677ff;color:#fff;text-decoration:none;` +
      `font-size:14px">${escapeHtml(t.replyButton)}</a></p>` +
      `<p style="font-size:12px;color:#64748b;margin:0">${escapeHtml(t.replyExpiry)}</p>`,
    t.footer,
  );
  return { subject: t.replySubject(channel), text, html };
}

/** A transcript of an ended conversation: every visitor and agent message, with names and
 * times. */
export function composeTranscriptMail(input: {
  locale: MailLocale;
  timeZone: string;
  channelName: string;
  startedAt: number;
  endedAt: number;
  messages: MailMessage[];
}): ComposedMail {
  const t = texts[input.locale];
  const channel = oneLine(input.channelName);
  const intro = t.transcriptIntro(
    channel,
    formatTime(input.startedAt, input.locale, input.timeZone),
    formatTime(input.endedAt, input.locale, input.timeZone),
  );
  const text = [
    intro,
    '',
    textLines(input.messages, input.locale, input.timeZone),
    '',
    '--',
    t.footer,
  ].join('\n');
  const html = page(
    input.locale,
    `<p style="font-size:14px;line-height:1.6;color:#0f172a;margin:0 0 18px">` +
      `${escapeHtml(intro)}</p>${htmlLines(input.messages, input.locale, input.timeZone)}`,
    t.footer,
  );
  return { subject: t.transcriptSubject(channel), text, html };
}
