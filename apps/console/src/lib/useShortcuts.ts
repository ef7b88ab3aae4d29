import { onBeforeUnmount, onMounted, ref } from 'vue';
import { isApplePlatform, matchShortcut, type ShortcutAction } from './shortcuts';

/**
 * The workspace's keyboard shortcuts in the page: one keydown listener (`useShortcutKeys`, which
 * the workspace installs once), and the components that can act registering what they do
 * (`onShortcut`). The keys themselves and when they count are in `shortcuts.ts`.
 */

type Handler = () => void;
const handlers = new Map<ShortcutAction, Handler>();

/** The help sheet listing every shortcut (`?`, Ctrl+/, or the account menu). */
export const shortcutHelpOpen = ref(false);

/** ⌘ and ⌥ on Apple devices, Ctrl and Alt elsewhere. */
export const applePlatform = isApplePlatform(
  (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData?.platform ||
    navigator.platform ||
    '',
);

/** What `action` does while this component is mounted (the last registered one acts). */
export function onShortcut(action: ShortcutAction, handler: Handler): void {
  handlers.set(action, handler);
  onBeforeUnmount(() => {
    if (handlers.get(action) === handler) handlers.delete(action);
  });
}

const notText = new Set([
  'button',
  'checkbox',
  'color',
  'file',
  'hidden',
  'image',
  'radio',
  'range',
  'reset',
  'submit',
]);

/** The focus is where typing goes into text: a letter pressed there is the person's. */
function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target instanceof HTMLInputElement) return !notText.has(target.type);
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target.isContentEditable || target.closest('[role=textbox], [role=combobox]') !== null;
}

const shown = (el: Element) => el.getClientRects().length > 0;

/**
 * A dialog or a menu has the keys: it keeps its own (Esc closes it, arrows move in it), and no
 * shortcut reaches past it to the page below.
 */
function somethingOnTop(target: EventTarget | null): boolean {
  if (target instanceof Element && target.closest('[role=dialog], [role=menu], [role=alertdialog]'))
    return true;
  return Array.from(document.querySelectorAll('[aria-modal=true]')).some(shown);
}

/** Alt+↑/↓ in a drop-down list is the list's own (it opens and closes it). */
function ownsAltArrows(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest('select, [role=combobox]') !== null;
}

/**
 * Search: the page's own search box when one says so (`data-shortcut-target="search"`), before
 * the conversation list's visitor search (also marked, with `data-shortcut-fallback`), which the
 * list opens itself when its tab is not showing.
 */
function focusSearch(): void {
  const marked = Array.from(
    document.querySelectorAll<HTMLElement>('[data-shortcut-target="search"]'),
  ).filter(shown);
  const target = marked.find((el) => !el.hasAttribute('data-shortcut-fallback'));
  if (target) {
    const field = target.matches('input, textarea, [contenteditable]')
      ? target
      : (target.querySelector<HTMLElement>('input, textarea, [contenteditable]') ?? target);
    field.focus();
    if (field instanceof HTMLInputElement) field.select();
    return;
  }
  handlers.get('search')?.();
}

function run(action: ShortcutAction): boolean {
  if (action === 'help') {
    shortcutHelpOpen.value = true;
    return true;
  }
  if (action === 'search') {
    focusSearch();
    return true;
  }
  const handler = handlers.get(action);
  handler?.();
  return handler !== undefined;
}

/** Listens for the shortcuts while the calling component (the workspace) is mounted. */
export function useShortcutKeys(): void {
  function onKeydown(e: KeyboardEvent) {
    if (e.defaultPrevented || somethingOnTop(e.target)) return;
    const action = matchShortcut(e, { apple: applePlatform, inField: isTextField(e.target) });
    if (!action) return;
    if (
      (action === 'nextConversation' || action === 'previousConversation') &&
      e.altKey &&
      ownsAltArrows(e.target)
    ) {
      return;
    }
    if (run(action)) e.preventDefault();
  }
  onMounted(() => window.addEventListener('keydown', onKeydown));
  onBeforeUnmount(() => {
    window.removeEventListener('keydown', onKeydown);
    shortcutHelpOpen.value = false;
  });
}
