import { createI18n } from 'vue-i18n';
import { chooseLocale, type Locale } from '@servicesystem/chat-client';
import { en } from './locales/en';
import { zh } from './locales/zh-CN';

/** Where the language a person picked is remembered; without it the browser's languages decide. */
const chosenKey = 'ss.locale';

function readChosen(): string | null {
  try {
    return localStorage.getItem(chosenKey);
  } catch {
    return null;
  }
}

const initial = chooseLocale({
  chosen: readChosen(),
  languages: navigator.languages?.length ? navigator.languages : [navigator.language],
});
document.documentElement.lang = initial;

export const i18n = createI18n({
  legacy: false,
  locale: initial,
  fallbackLocale: 'en',
  messages: { 'zh-CN': zh, en },
});

/** The language the console shows now (reactive: templates that call it follow a switch). */
export function currentLocale(): Locale {
  return i18n.global.locale.value === 'en' ? 'en' : 'zh-CN';
}

/** The person chose a language: show it and remember it. */
export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  document.documentElement.lang = locale;
  try {
    localStorage.setItem(chosenKey, locale);
  } catch {
    // private mode: the choice lasts this page only
  }
}
