/**
 * The visitor page's words in its two languages, and a small `t()` over them. No i18n library:
 * the messages are plain strings with `{name}` placeholders, so a lookup and a replace do what a
 * message compiler would, for a fraction of the page's weight.
 */
import { inject, ref, type App, type InjectionKey, type Ref } from 'vue';
import type { Locale } from '@servicesystem/chat-client';

export type { Locale };

const zhCN = {
  title: '在线客服',
  noChannel: '链接不完整：缺少 channel 参数。请从网站或应用里的“联系客服”入口打开。',
  loadFailed: '无法连接客服，请检查网络后重试。',
  identityFailed: '登录信息已失效，请重新打开客服窗口。',
  channelMissing: '该客服渠道不存在或已停用。',
  retry: '重试',
  loading: '正在连接…',
  offline: '网络已断开，消息将在恢复后自动发送',
  reconnecting: '正在重新连接…',
  online: '在线',
  queuePosition: '排队中，第 {n} 位',
  waiting: '正在为您接入客服…',
  ended: '会话已结束',
  offHours: '现在是非工作时间',
  nobodyOnline: '暂无客服在线 · 可以先留言',
  servedBy: '{name} 为您服务',
  typing: '对方正在输入…',
  placeholder: '输入消息…',
  send: '发送',
  emoji: '表情',
  more: '更多',
  album: '图片/视频',
  camera: '拍照',
  read: '已读',
  unreadMark: '未读',
  sending: '发送中',
  pending: '等待网络',
  failed: '发送失败',
  tapRetry: '点击重试',
  discard: '删除',
  pullToLoad: '下拉加载更早的消息',
  releaseToLoad: '释放加载',
  uploading: '上传中 {p}%',
  close: '关闭',
  newConversation: '发送消息即可开始新的会话',
  messageRemoved: '消息已移除',
  errors: {
    PAYLOAD_TOO_LARGE: '文件太大',
    UNSUPPORTED_MEDIA_TYPE: '不支持的文件类型',
    IMAGE_TOO_LARGE: '图片尺寸过大',
    VIDEO_TOO_LARGE: '视频画面过大',
    VIDEO_TOO_LONG: '视频太长',
    INVALID_MEDIA: '文件已损坏',
    default: '发送失败',
  },
  emptyTitle: '您好，有什么可以帮您？',
  emptyText: '发送消息即可开始咨询，客服会尽快回复您。',
  emptyRobotText: '发送消息即可开始咨询，智能助手会马上回复您，也可以随时转人工。',
  emptyNobodyTitle: '目前没有客服在线',
  emptyNobodyText: '您可以先留下问题，消息会保存好，下一位上线的客服会回复您。',
  emptyClosedTitle: '上班后我们会回复您',
  emptyClosedText: '您可以先留下问题，消息会保存好。',
  language: '语言',
  imageLabel: '图片',
  messages: '消息记录',
  rating: {
    question: '您对本次服务满意吗？',
    hint: '选择一个表情为本次会话评分',
    scores: {
      '1': '非常不满意',
      '2': '不满意',
      '3': '一般',
      '4': '满意',
      '5': '非常满意',
    },
    scoreLabel: '{n} 分（满分 5 分）：{label}',
    comment: '还有什么想告诉我们的吗？（选填）',
    send: '提交评价',
    sending: '正在提交…',
    thanks: '感谢您的评价！',
    thanksText: '您的反馈会帮助我们做得更好。',
    yourScore: '您的评分：{label}',
    failed: '提交失败，请重试',
    ALREADY_RATED: '这次会话已经评价过了',
    RATING_OFF: '该渠道已关闭评价',
  },
  leave: {
    title: '给我们留言',
    open: '留言',
    offerText: '留下邮箱或手机号，我们会尽快联系您，不必在这里等待。',
    cancel: '取消',
    intro: '现在没有客服能即时回复。留下您的问题和联系方式，我们会尽快回复您。',
    introClosed: '我们现在下班了。留下您的问题和联系方式，上班后我们会回复您。',
    name: '您的称呼',
    email: '邮箱',
    phone: '手机号',
    contactHint: '邮箱和手机号至少填写一项',
    message: '留言内容',
    messagePlaceholder: '请描述您的问题…',
    submit: '提交留言',
    sending: '提交中…',
    needName: '请填写您的称呼',
    needContact: '请填写邮箱或手机号',
    badEmail: '邮箱格式不正确',
    badPhone: '手机号格式不正确',
    needMessage: '请填写留言内容',
    failed: '提交失败，请稍后重试',
    sentTitle: '留言已收到',
    sentMail: '我们会在这里回复您，并同时发送到 {email}。',
    sentHere: '我们会在这里回复您，下次打开本页即可看到回复。',
  },
  robot: {
    tag: '自动回复',
    hint: '自动回复 · 可随时转人工',
    choices: '您可能想问',
    didYouMean: '您是想问以下哪个问题？',
    handoff: '转人工',
    handoffLabel: '转人工客服',
  },
  resumeInvalid: '邮件中的链接已过期或无效。您可以在这里开始新的会话。',
  transcript: {
    title: '把聊天记录发到邮箱',
    email: '邮箱',
    send: '发送',
    sending: '发送中…',
    sent: '聊天记录已发送到 {email}。',
    badEmail: '邮箱格式不正确',
    tooMany: '发送次数过多，请稍后再试。',
    failed: '发送失败，请稍后重试',
  },
};

const en: typeof zhCN = {
  title: 'Customer service',
  noChannel:
    'This link is incomplete: the channel parameter is missing. Open the chat from the website or app.',
  loadFailed: 'Could not reach customer service. Check your connection and try again.',
  identityFailed: 'Your sign-in has expired. Please open the chat again.',
  channelMissing: 'This chat channel does not exist or has been removed.',
  retry: 'Retry',
  loading: 'Connecting…',
  offline: 'You are offline. Messages will be sent when the connection returns.',
  reconnecting: 'Reconnecting…',
  online: 'Online',
  queuePosition: 'In queue, position {n}',
  waiting: 'Connecting you to an agent…',
  ended: 'Conversation ended',
  offHours: 'We are closed right now',
  nobodyOnline: 'No agent online · leave a message',
  servedBy: '{name} is serving you',
  typing: 'Typing…',
  placeholder: 'Type a message…',
  send: 'Send',
  emoji: 'Emoji',
  more: 'More',
  album: 'Photo / video',
  camera: 'Camera',
  read: 'Read',
  unreadMark: 'Sent',
  sending: 'Sending',
  pending: 'Waiting for network',
  failed: 'Not sent',
  tapRetry: 'Tap to retry',
  discard: 'Delete',
  pullToLoad: 'Pull to load earlier messages',
  releaseToLoad: 'Release to load',
  uploading: 'Uploading {p}%',
  close: 'Close',
  newConversation: 'Send a message to start a new conversation',
  messageRemoved: 'Message removed',
  errors: {
    PAYLOAD_TOO_LARGE: 'File too large',
    UNSUPPORTED_MEDIA_TYPE: 'File type not supported',
    IMAGE_TOO_LARGE: 'Image too large',
    VIDEO_TOO_LARGE: 'Video picture too large',
    VIDEO_TOO_LONG: 'Video too long',
    INVALID_MEDIA: 'File is damaged',
    default: 'Not sent',
  },
  emptyTitle: 'Hi there! How can we help?',
  emptyText: 'Send us a message and an agent will reply shortly.',
  emptyRobotText:
    'Send us a message: our assistant answers right away, and a person is a tap away.',
  emptyNobodyTitle: 'No agent is online right now',
  emptyNobodyText:
    'Leave your question now: your messages are kept, and the next agent to come online will reply.',
  emptyClosedTitle: 'We will reply when we open',
  emptyClosedText: 'Leave your question now: your messages are kept.',
  language: 'Language',
  imageLabel: 'Photo',
  messages: 'Messages',
  rating: {
    question: 'How was your conversation?',
    hint: 'Choose a face to rate this conversation',
    scores: {
      '1': 'Very unhappy',
      '2': 'Unhappy',
      '3': 'Okay',
      '4': 'Happy',
      '5': 'Very happy',
    },
    scoreLabel: '{n} out of 5: {label}',
    comment: 'Anything else you would like to tell us? (optional)',
    send: 'Send rating',
    sending: 'Sending…',
    thanks: 'Thanks for your feedback!',
    thanksText: 'It helps us get better.',
    yourScore: 'Your rating: {label}',
    failed: 'Could not send. Please try again.',
    ALREADY_RATED: 'This conversation has already been rated',
    RATING_OFF: 'Ratings are turned off for this chat',
  },
  leave: {
    title: 'Leave us a message',
    open: 'Leave a message',
    offerText:
      'Leave your email or phone number and we will get back to you: no need to wait here.',
    cancel: 'Cancel',
    intro:
      'Nobody can answer right now. Leave your question and how to reach you, and we will reply soon.',
    introClosed:
      'We are closed right now. Leave your question and how to reach you, and we will reply when we open.',
    name: 'Your name',
    email: 'Email',
    phone: 'Phone',
    contactHint: 'An email address or a phone number, at least one',
    message: 'Message',
    messagePlaceholder: 'How can we help?',
    submit: 'Send message',
    sending: 'Sending…',
    needName: 'Please give your name',
    needContact: 'Please give an email address or a phone number',
    badEmail: 'This email address does not look right',
    badPhone: 'This phone number does not look right',
    needMessage: 'Please write your message',
    failed: 'Could not send. Please try again.',
    sentTitle: 'Message received',
    sentMail: 'We will reply here and by email to {email}.',
    sentHere: 'We will reply here: open this page again to see the answer.',
  },
  robot: {
    tag: 'Automated',
    hint: 'Automated · a person is a tap away',
    choices: 'Suggested questions',
    didYouMean: 'Did you mean one of these?',
    handoff: 'Talk to a person',
    handoffLabel: 'Talk to a person',
  },
  resumeInvalid:
    'The link in the email has expired or is not valid. You can start a new conversation here.',
  transcript: {
    title: 'Email me the transcript',
    email: 'Email',
    send: 'Send',
    sending: 'Sending…',
    sent: 'The transcript is on its way to {email}.',
    badEmail: 'This email address does not look right',
    tooMany: 'Too many requests. Please try again later.',
    failed: 'Could not send. Please try again.',
  },
};

type Catalog = { [key: string]: string | Catalog };
const catalogs: Record<Locale, Catalog> = { 'zh-CN': zhCN, en };

/** `errors.PAYLOAD_TOO_LARGE` → the string at that path, if there is one. */
function lookup(catalog: Catalog, key: string): string | undefined {
  let node: string | Catalog | undefined = catalog;
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

export type MessageParams = Record<string, string | number>;

export interface WidgetI18n {
  /** The language shown; setting it re-renders every text. */
  readonly locale: Ref<Locale>;
  /**
   * The text at `key` in the current language (else in Chinese, else the key itself), with each
   * `{name}` replaced by `params.name`.
   */
  t(key: string, params?: MessageParams): string;
  install(app: App): void;
}

const i18nKey: InjectionKey<WidgetI18n> = Symbol('i18n');

export function createWidgetI18n(initial: Locale): WidgetI18n {
  const locale = ref<Locale>(initial);
  const t = (key: string, params?: MessageParams): string => {
    const text = lookup(catalogs[locale.value], key) ?? lookup(zhCN, key) ?? key;
    if (!params) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in params ? String(params[name]) : whole,
    );
  };
  const i18n: WidgetI18n = {
    locale,
    t,
    install(app) {
      app.provide(i18nKey, i18n);
    },
  };
  return i18n;
}

/** In a component of the page: `const { t } = useI18n()`. */
export function useI18n(): Pick<WidgetI18n, 't' | 'locale'> {
  const i18n = inject(i18nKey);
  if (!i18n) throw new Error('useI18n: the app was created without the i18n plugin');
  return { t: i18n.t, locale: i18n.locale };
}
