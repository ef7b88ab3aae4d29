// Element Plus's confirm box with its CSS (see message.ts for why by hand).
import 'element-plus/es/components/message-box/style/css';

/** A modal question ("End this conversation?") that resolves on confirm, rejects on cancel. */
export { ElMessageBox } from 'element-plus/es';
