/**
 * The page's language as it runs: the page's words, `<html lang>` and the remembered choice move
 * together. Another tab or the demo page (same origin) choosing a language switches this page too.
 * Vant's own words are not used: the page gives PullRefresh its texts, and the image preview has
 * none.
 */
import { ref, type Ref } from 'vue';
import { parseLocale } from '@servicesystem/chat-client';
import { localeStorageKey, rememberLocale } from './localeChoice';
import type { Locale } from './i18n';

export interface PageLanguage {
  readonly locale: Readonly<Ref<Locale>>;
  /** The visitor picked a language: shown at once and remembered. */
  choose(locale: Locale): void;
}

export function createPageLanguage(initial: Locale, apply: (locale: Locale) => void): PageLanguage {
  const locale = ref<Locale>(initial);
  const show = (next: Locale) => {
    locale.value = next;
    document.documentElement.lang = next;
    apply(next);
  };
  show(initial);
  window.addEventListener('storage', (event) => {
    const next = event.key === localeStorageKey ? parseLocale(event.newValue) : null;
    if (next && next !== locale.value) show(next);
  });
  return {
    locale,
    choose(next) {
      rememberLocale(next);
      if (next !== locale.value) show(next);
    },
  };
}
