// Element Plus's variables and reset first, so that style.css (the brand colours) overrides them;
// each component brings its own CSS with it (see vite.config.ts).
import 'element-plus/theme-chalk/base.css';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { i18n } from './i18n';
import { router } from './router';
import './style.css';

createApp(App).use(createPinia()).use(router).use(i18n).mount('#app');
