import { createApp } from 'vue';
import { Locale } from 'vant';
import enUS from 'vant/es/locale/lang/en-US';
import 'vant/es/pull-refresh/style/index';
import 'vant/es/image-preview/style/index';
import './styles.css';
import App from './App.vue';
import { createChatStore } from './chat/chatStore';
import { createHostBridge } from './chat/hostBridge';
import { createWidgetI18n, pickLocale } from './i18n';

const params = new URLSearchParams(location.search);
const locale = pickLocale(params.get('locale'));
if (locale === 'en') Locale.use('en-US', enUS);
document.documentElement.lang = locale;

// A brand colour from the embedding site (data-color): only plain hex colours are taken.
let color = params.get('color');
if (color && /^#[0-9a-f]{3}$/i.test(color))
  color = `#${[...color.slice(1)].map((c) => c + c).join('')}`;
if (color && /^#[0-9a-f]{6}$/i.test(color)) {
  document.documentElement.style.setProperty('--ss-primary', color);
  document.documentElement.style.setProperty('--ss-primary-soft', `${color}1f`);
  document.documentElement.style.setProperty('--ss-hover', `${color}14`);
}

const bridge = createHostBridge(params.get('embed') === '1' ? params.get('host') : null);
const chat = createChatStore({
  channelId: params.get('channel'),
  identity: params.get('identity'),
  bridge,
});
const title = params.get('title');
const i18n = createWidgetI18n(locale);
document.title = title || i18n.global.t('title');

createApp(App, { chat, bridge, title }).use(i18n).mount('#app');
