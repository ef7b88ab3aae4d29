/**
 * Which language the visitor page (and the demo page, same origin) shows, and the visitor's
 * remembered choice. No vue-i18n here: the demo page imports it too.
 */
import { chooseLocale, type Locale } from '@servicesystem/chat-client';

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
