import { createI18n } from 'vue-i18n';
import { chooseLocale, type Locale } from '@servicesystem/chat-client';

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
  offHours: '非工作时间 · 上班后回复您',
  nobodyOnline: '暂无客服在线 · 消息会保留',
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
  errors: {
    PAYLOAD_TOO_LARGE: '文件太大',
    UNSUPPORTED_MEDIA_TYPE: '不支持的文件类型',
    IMAGE_TOO_LARGE: '图片尺寸过大',
    VIDEO_TOO_LONG: '视频太长',
    INVALID_MEDIA: '文件已损坏',
    default: '发送失败',
  },
  emptyTitle: '您好，有什么可以帮您？',
  emptyText: '发送消息即可开始咨询，客服会尽快回复您。',
  emptyNobodyTitle: '目前没有客服在线',
  emptyNobodyText: '您可以先留下问题，消息会保存好，下一位上线的客服会回复您。',
  emptyClosedTitle: '现在是非工作时间',
  emptyClosedText: '您可以先留下问题，我们上班后会尽快回复。',
  language: '语言',
  imageLabel: '图片',
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
  offHours: 'Closed now · we reply when we open',
  nobodyOnline: 'No agent online · your messages are kept',
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
  errors: {
    PAYLOAD_TOO_LARGE: 'File too large',
    UNSUPPORTED_MEDIA_TYPE: 'File type not supported',
    IMAGE_TOO_LARGE: 'Image too large',
    VIDEO_TOO_LONG: 'Video too long',
    INVALID_MEDIA: 'File is damaged',
    default: 'Not sent',
  },
  emptyTitle: 'Hi there! How can we help?',
  emptyText: 'Send us a message and an agent will reply shortly.',
  emptyNobodyTitle: 'No agent is online right now',
  emptyNobodyText:
    'Leave your question now: your messages are kept, and the next agent to come online will reply.',
  emptyClosedTitle: 'We are closed right now',
  emptyClosedText: 'Leave your question now and we will reply when we open.',
  language: 'Language',
  imageLabel: 'Photo',
};

/** Where the visitor's own choice of language is remembered (shared with the demo page). */
export const localeStorageKey = 'ss.widget.locale';

/** Each language named in itself, for the language switch. */
export const languageNames: Record<Locale, string> = { 'zh-CN': '中文', en: 'English' };

/**
 * The page's language: the visitor's remembered choice, else the embed's `data-locale` (`?locale=`),
 * else the browser's languages.
 */
export function initialLocale(requested: string | null): Locale {
  let chosen: string | null = null;
  try {
    chosen = localStorage.getItem(localeStorageKey);
  } catch {
    // storage blocked: the browser's languages decide
  }
  const languages = navigator.languages?.length ? navigator.languages : [navigator.language];
  return chooseLocale({ chosen, requested, languages });
}

/** The visitor chose a language: remembered for their next visit. */
export function rememberLocale(locale: Locale) {
  try {
    localStorage.setItem(localeStorageKey, locale);
  } catch {
    // storage blocked: the choice lasts for this page only
  }
}

export function createWidgetI18n(locale: Locale) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'zh-CN',
    messages: { 'zh-CN': zhCN, en },
  });
}
