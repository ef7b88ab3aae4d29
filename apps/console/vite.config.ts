import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import { defineConfig } from 'vite';

/** The agent console, served by the server at /console/. */
export default defineConfig({
  base: '/console/',
  plugins: [
    vue(),
    // Element Plus per use: each <el-*> in a template imports that component and its CSS, so a
    // page carries only what it shows (the login page has no table, the workspace no date
    // picker). Functional APIs (ElMessage, ElMessageBox) and v-loading are imported by hand with
    // their styles where they are used. Our own components are imported explicitly (dirs: []).
    // No generated components.d.ts: tsconfig.json's "element-plus/global" types every <el-*> tag
    // for vue-tsc (the resolver imports any of them), with nothing written into src/ by a build.
    Components({
      dirs: [],
      resolvers: [ElementPlusResolver({ importStyle: 'css', directives: false })],
      dts: false,
    }),
  ],
  // The production flags of the esm-bundler builds: no Options API (every component here and in
  // Element Plus uses setup), no devtools hooks, no legacy vue-i18n API or global $t/<i18n-t>.
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
      '/socket.io': { target: 'http://localhost:3000', ws: true },
    },
  },
});
