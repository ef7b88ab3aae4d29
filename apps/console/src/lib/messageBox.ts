// Element Plus's confirm box with its CSS (see message.ts for why by hand).
import 'element-plus/es/components/message-box/style/css';

/** A modal question ("End this conversation?") that resolves on confirm, rejects on cancel. */
import { ElMessageBox } from 'element-plus/es';

export { ElMessageBox };

/**
 * Asks before something that cannot be undone (delete, revoke, rotate, reset): `question` in
 * the box, `action` as its title and its confirm button. Answers whether the user confirmed.
 */
export async function confirmAction(
  question: string,
  action: string,
  cancel: string,
): Promise<boolean> {
  try {
    await ElMessageBox.confirm(question, action, {
      type: 'warning',
      confirmButtonText: action,
      cancelButtonText: cancel,
    });
    return true;
  } catch {
    return false;
  }
}
