import vue from '@vitejs/plugin-vue';
import { defineConfig, type Plugin } from 'vite';

/**
 * Vant's icon font (in its icon styles, which the page does not import today: its few icons are
 * inline SVG) is inlined (woff2) with a fallback on Alibaba's CDN. The page is self-hosted and its
 * CSP allows fonts from our origin and data: only, so should those styles come in, the fallback
 * goes: no visitor's browser asks a third party for anything.
 */
function withoutCdnFonts(): Plugin {
  return {
    name: 'servicesystem:without-cdn-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!id.split('?')[0]!.endsWith('.css') || !code.includes('at.alicdn.com')) return null;
      return code.replace(/,\s*url\(\/\/at\.alicdn\.com[^)]*\)\s*format\("woff"\)/g, '');
    },
  };
}

/** The visitor page, served by the server at /chat/. */
export default defineConfig({
  base: '/chat/',
  plugins: [vue(), withoutCdnFonts()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    chunkSizeWarningLimit: 900,
    // The page is one entry script: there are no <link rel=modulepreload> to polyfill.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'http://127.0.0.1:3000', ws: true },
    },
  },
});
