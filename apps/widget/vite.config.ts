import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type Plugin } from 'vite';

const base = '/chat/';
const bootEntry = fileURLToPath(new URL('./src/boot.ts', import.meta.url));

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

/**
 * src/boot.ts is a second entry, loaded async ahead of the main script: it asks for the session
 * while the main script downloads. Vite joins every script of an HTML page into one entry, so
 * the boot entry is built on its own and its tag written into the built page here.
 */
function bootScript(): Plugin {
  return {
    name: 'servicesystem:boot-script',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, context) {
        const boot = Object.values(context.bundle ?? {}).find(
          (chunk) => chunk.type === 'chunk' && chunk.isEntry && chunk.facadeModuleId === bootEntry,
        );
        if (!boot) throw new Error('the boot entry was not built');
        const tag = `<script type="module" async crossorigin src="${base}${boot.fileName}"></script>`;
        return html.replace('<script type="module"', `${tag}\n    <script type="module"`);
      },
    },
  };
}

/** The visitor page, served by the server at /chat/. */
export default defineConfig({
  base,
  plugins: [vue(), withoutCdnFonts(), bootScript()],
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
    rollupOptions: {
      input: { index: fileURLToPath(new URL('./index.html', import.meta.url)), boot: bootEntry },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3000',
      '/socket.io': { target: 'http://127.0.0.1:3000', ws: true },
    },
  },
});
