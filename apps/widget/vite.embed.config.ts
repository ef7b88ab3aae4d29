import { defineConfig } from 'vite';

/** The framework-free loader a website includes: dist/embed.js, served at /embed.js. */
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2017',
    lib: {
      entry: 'src/embed/embed.ts',
      formats: ['iife'],
      name: 'ServiceSystemEmbed',
      fileName: () => 'embed.js',
    },
  },
});
