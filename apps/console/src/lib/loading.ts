// Element Plus's v-loading directive with its CSS (see message.ts for why by hand). A view that
// imports `vLoading` into <script setup> can write v-loading in its template.
import 'element-plus/es/components/loading/style/css';

export { vLoading } from 'element-plus/es';
