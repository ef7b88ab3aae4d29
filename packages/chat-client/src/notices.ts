import type {
  HandoffReason,
  LocalizedText,
  Locale,
  Message,
  SystemMeta,
} from '@servicesystem/protocol/wire';

/** Who reads a notice: the visitor is "you"; console users read about the visitor. */
export type NoticeReader = 'visitor' | 'agent';

/** A channel text in the reader's language, else the other language's, else `fallback`. */
export function textFor(texts: LocalizedText | undefined, locale: Locale, fallback = ''): string {
  if (!texts) return fallback;
  const other: Locale = locale === 'en' ? 'zh-CN' : 'en';
  return texts[locale] || texts[other] || fallback;
}

/** Why the robot handed over, as console users read it (reports use the same words). */
export const handoffReasonWords: Record<Locale, Record<HandoffReason, string>> = {
  'zh-CN': {
    requested: '访客要求转人工',
    unanswered: '知识库中没有答案',
    followUp: '访客继续提问',
    media: '访客发送了图片或视频',
    modelUnsure: '模型不确定',
    modelFailed: '模型出错或超时',
    agent: '客服接手',
  },
  en: {
    requested: 'the visitor asked for a person',
    unanswered: 'nothing in the knowledge fits',
    followUp: 'the visitor wrote again',
    media: 'the visitor sent an image or video',
    modelUnsure: 'the model was unsure',
    modelFailed: 'the model failed or timed out',
    agent: 'an agent took over',
  },
};

type Words = {
  [K in SystemMeta['kind']]: (meta: Extract<SystemMeta, { kind: K }>) => string;
};

const visitorWords: Record<Locale, Omit<Words, 'welcome' | 'offHours'>> = {
  'zh-CN': {
    queued: (m) =>
      m.reason === 'nobodyOnline'
        ? '目前没有客服在线。您的消息已保存，会话将由下一位上线的客服接待。'
        : m.reason === 'offHours'
          ? '现在是非工作时间，没有客服在线。您的消息已保存，客服上班后会尽快回复。'
          : `客服都在忙，您已进入排队，当前排在第 ${m.position} 位。`,
    assigned: (m) => `${m.agentName} 为您服务`,
    transferred: (m) => `已为您转接给 ${m.toName}`,
    ended: () => '本次会话已结束',
    idleEnded: (m) => `${m.minutes} 分钟内没有新消息，本次会话已自动结束`,
    handedOff: (m) =>
      m.reason === 'requested'
        ? '正在为您转接人工客服'
        : m.reason === 'modelFailed' || m.reason === 'modelUnsure'
          ? '智能助手暂时无法回答，正在为您转接人工客服'
          : '正在为您转接人工客服，请稍候',
  },
  en: {
    queued: (m) =>
      m.reason === 'nobodyOnline'
        ? 'No agent is online right now. Your messages are kept, and the next agent to come online will answer.'
        : m.reason === 'offHours'
          ? 'We are closed right now and no agent is online. Your messages are kept, and we will answer when we open.'
          : `All agents are busy. You are number ${m.position} in the queue.`,
    assigned: (m) => `${m.agentName} is now serving you`,
    transferred: (m) => `You have been transferred to ${m.toName}`,
    ended: () => 'This conversation has ended',
    idleEnded: (m) => `This conversation ended after ${m.minutes} minutes without a message`,
    handedOff: (m) =>
      m.reason === 'requested'
        ? 'Connecting you to a person'
        : m.reason === 'modelFailed' || m.reason === 'modelUnsure'
          ? 'The assistant cannot answer that right now; connecting you to a person'
          : 'Connecting you to a person, one moment please',
  },
};

const agentWords: Record<Locale, Omit<Words, 'welcome' | 'offHours'>> = {
  'zh-CN': {
    queued: (m) =>
      m.reason === 'nobodyOnline'
        ? '没有客服在线，会话进入排队'
        : m.reason === 'offHours'
          ? '非工作时间且没有客服在线，会话进入排队'
          : `客服都在忙，会话排在第 ${m.position} 位`,
    assigned: (m) => `已分配给 ${m.agentName}`,
    transferred: (m) =>
      m.fromName ? `由 ${m.fromName} 转接给 ${m.toName}` : `已从排队转接给 ${m.toName}`,
    ended: () => '会话已结束',
    idleEnded: (m) => `${m.minutes} 分钟无消息，会话已自动结束`,
    handedOff: (m) => `机器人转人工：${handoffReasonWords['zh-CN'][m.reason]}`,
  },
  en: {
    queued: (m) =>
      m.reason === 'nobodyOnline'
        ? 'Queued: no agent was online'
        : m.reason === 'offHours'
          ? 'Queued: off hours, no agent was online'
          : `Queued at position ${m.position}: every agent was busy`,
    assigned: (m) => `Assigned to ${m.agentName}`,
    transferred: (m) =>
      m.fromName
        ? `Transferred from ${m.fromName} to ${m.toName}`
        : `Taken from the queue by ${m.toName}`,
    ended: () => 'Conversation ended',
    idleEnded: (m) => `Ended automatically after ${m.minutes} minutes without a message`,
    handedOff: (m) => `Robot handed over: ${handoffReasonWords.en[m.reason]}`,
  },
};

/**
 * A system notice in the reader's language, from its kind and parameters. Welcome and off-hours
 * notices are the channel's own texts in that language. A message without `meta` (or of a kind
 * this client does not know) shows its stored `body`.
 */
export function noticeText(
  message: Pick<Message, 'body' | 'meta'>,
  locale: Locale,
  reader: NoticeReader,
): string {
  const meta = message.meta;
  if (!meta) return message.body;
  switch (meta.kind) {
    case 'welcome':
    case 'offHours':
      return textFor(meta.texts, locale, message.body);
    case 'queued':
    case 'assigned':
    case 'transferred':
    case 'ended':
    case 'idleEnded':
    case 'handedOff': {
      const words = (reader === 'visitor' ? visitorWords : agentWords)[locale];
      return (words[meta.kind] as (m: SystemMeta) => string)(meta);
    }
    default:
      return message.body;
  }
}
