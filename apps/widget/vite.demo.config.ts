import { defineConfig } from 'vite';

/**
 * The demo host page (dist/demo.html), served at /demo/ in demo mode only. Built on its own so
 * it shares nothing with the visitor page's bundle; its assets sit beside the page's in
 * dist/assets (served under /chat/assets/).
 */
export default defineConfig({
  base: '/chat/',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2020',
    rollupOptions: { input: { demo: 'demo.html' } },
  },
});
