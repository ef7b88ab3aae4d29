import type { ChannelTextInput, LocalizedText } from '@servicesystem/protocol';

/** A new channel's texts. A text left empty in one language falls back to the other. */
export const defaultWelcomeMessage: LocalizedText = {
  'zh-CN': '您好！请问有什么可以帮您？',
  en: 'Hello! How can we help you today?',
};
export const defaultOffHoursMessage: LocalizedText = {
  'zh-CN': '我们现在不在线。请留下您的问题，我们会尽快回复。',
  en: "We're away right now. Leave a message and we'll reply as soon as we can.",
};

/** What a channel's robot says when a conversation starts, until an administrator changes it
 * (migration 0018 gives existing channels the same). */
export const defaultRobotGreeting: LocalizedText = {
  'zh-CN': '您好，我是智能助手，可以回答常见问题。需要人工服务时，请点「转人工」。',
  en: "Hi, I'm the assistant and can answer common questions. Choose “Talk to a person” any time.",
};

/** A text column's JSON, read back. */
export function parseTexts(stored: string): LocalizedText {
  const value = JSON.parse(stored) as Partial<LocalizedText>;
  return { 'zh-CN': value['zh-CN'] ?? '', en: value.en ?? '' };
}

/** A request's text applied to what is stored: a string sets both languages, an object the
 * languages it names. */
export function applyTextInput(
  current: LocalizedText,
  input: ChannelTextInput | undefined,
): LocalizedText {
  if (input === undefined) return current;
  if (typeof input === 'string') return { 'zh-CN': input, en: input };
  return { 'zh-CN': input['zh-CN'] ?? current['zh-CN'], en: input.en ?? current.en };
}

/** The text for the server's own `body` of a notice: Chinese first, else English. */
export function firstText(texts: LocalizedText): string {
  return texts['zh-CN'] || texts.en;
}
