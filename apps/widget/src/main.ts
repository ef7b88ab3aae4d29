import { createApp, watchEffect } from 'vue';
// Vant's styles for the one component on the page at first (the picture viewer brings its own).
import 'vant/es/pull-refresh/style/index';
import './styles.css';
import App from './App.vue';
import { brandColorVariables } from './brandColor';
import { createChatStore } from './chat/chatStore';
import { createHostBridge } from './chat/hostBridge';
import { ownPage } from './chat/pageContext';
import { createWidgetI18n } from './i18n';
import { initialLocale } from './localeChoice';
import { createPageLanguage } from './pageLanguage';

const params = new URLSearchParams(location.search);
const i18n = createWidgetI18n(initialLocale(params.get('locale')));
const language = createPageLanguage(i18n.locale.value, (locale) => {
  i18n.locale.value = locale;
});

// A brand colour from the embedding site (data-color): only plain hex colours are taken, with
// text colours that stay readable on it.
const brand = brandColorVariables(params.get('color') ?? '');
for (const [name, value] of Object.entries(brand ?? {})) {
  document.documentElement.style.setProperty(name, value);
}

const bridge = createHostBridge(params.get('embed') === '1' ? params.get('host') : null);
const chat = createChatStore({
  channelId: params.get('channel'),
  identity: params.get('identity'),
  resume: params.get('resume'),
  bridge,
  context: ownPage(params, bridge.embedded),
  locale: language.locale,
  // A reply mail's link works once per visit: a reload or a shared address does not carry it.
  onResumeUsed: () => {
    const url = new URL(location.href);
    url.searchParams.delete('resume');
    history.replaceState(history.state, '', url);
  },
});
const title = params.get('title');

// The tab's title, with the count of agent messages not read yet (the server's count).
watchEffect(() => {
  const name = title || chat.state.channelName || i18n.t('title');
  const unread = chat.unread.value;
  document.title = unread > 0 ? `(${unread > 99 ? '99+' : unread}) ${name}` : name;
});

createApp(App, { chat, bridge, title, language }).use(i18n).mount('#app');
