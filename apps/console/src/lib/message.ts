// Element Plus's functional APIs, each with its CSS. Templates get components and their styles by
// themselves (vite.config.ts); these are called from code, so their styles come in by hand, and
// only with the pages that use them.
import 'element-plus/es/components/message/style/css';

/** Short notices at the top of the page ("Saved", an error's text). */
export { ElMessage } from 'element-plus/es';
