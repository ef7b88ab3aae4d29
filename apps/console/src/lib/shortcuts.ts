/**
 * The workspace's keyboard shortcuts as data, and the pure rules that match a key press to one
 * and name its keys. No DOM here: `useShortcuts.ts` listens and dispatches.
 *
 * The rules, so that a shortcut never takes what a person types:
 * - Letters and signs alone (J, K, /, ?) act only while the focus is outside text fields.
 * - Everywhere else a modifier is held: Alt (⌥ on macOS), or Ctrl (⌘ on macOS). Ctrl+Alt is
 *   never one of ours: on Windows it is AltGr, which types characters.
 * - Nothing acts while an input method composes (Chinese, Japanese, Korean input).
 * - The composer's own keys stay its own: Enter sends, Shift+Enter starts a line, `/` at the
 *   start of a word opens the saved replies, Esc closes that list.
 */

export type ShortcutAction =
  | 'nextConversation'
  | 'previousConversation'
  | 'focusComposer'
  | 'toggleNote'
  | 'savedReplies'
  | 'suggestReply'
  | 'endConversation'
  | 'search'
  | 'help';

/** One way to press a shortcut. */
export interface KeyCombo {
  /** A named key (`ArrowDown`), a lower-case letter (`c`), or a sign (`/`, `?`). */
  key: string;
  alt?: boolean;
  /** Ctrl, or ⌘ on macOS. */
  mod?: boolean;
  shift?: boolean;
  /** A key alone: only while the focus is outside text fields. */
  outsideFields?: boolean;
}

export interface Shortcut {
  action: ShortcutAction;
  combos: KeyCombo[];
  /** Held down, it acts again (moving through the list); other actions act once per press. */
  repeats?: boolean;
}

export const shortcuts: readonly Shortcut[] = [
  {
    action: 'nextConversation',
    combos: [
      { key: 'ArrowDown', alt: true },
      { key: 'j', outsideFields: true },
    ],
    repeats: true,
  },
  {
    action: 'previousConversation',
    combos: [
      { key: 'ArrowUp', alt: true },
      { key: 'k', outsideFields: true },
    ],
    repeats: true,
  },
  { action: 'focusComposer', combos: [{ key: 'c', alt: true }] },
  { action: 'toggleNote', combos: [{ key: 'n', alt: true }] },
  { action: 'savedReplies', combos: [{ key: '/', alt: true }] },
  { action: 'suggestReply', combos: [{ key: 'g', alt: true }] },
  { action: 'endConversation', combos: [{ key: 'x', alt: true, shift: true }] },
  {
    action: 'search',
    combos: [
      { key: 'k', mod: true },
      { key: '/', outsideFields: true },
    ],
  },
  {
    action: 'help',
    combos: [
      { key: '/', mod: true },
      { key: '?', outsideFields: true },
    ],
  },
];

/** What of a keydown event the matching reads (a KeyboardEvent has all of it). */
export interface KeyPress {
  key: string;
  code: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  isComposing: boolean;
  keyCode: number;
  repeat: boolean;
}

export interface PressContext {
  /** macOS or iOS: ⌘ is the command key, Ctrl is left alone. */
  apple: boolean;
  /** The focus is in something that takes text (an input, a textarea, an editable element). */
  inField: boolean;
}

/** From `navigator.userAgentData.platform` or `navigator.platform`. */
export function isApplePlatform(platform: string): boolean {
  return /mac|iphone|ipad|ipod/iu.test(platform);
}

const named = /^[A-Z][A-Za-z]+$/u;
const latinLetter = /^[a-z]$/u;

/** The key as our combos name it, from the character and, failing that, the physical key. */
function keyOf(press: KeyPress): string {
  const key = press.key.length === 1 ? press.key.toLowerCase() : press.key;
  if (latinLetter.test(key)) return key;
  // A modifier changed the character (⌥C types ç on a Mac) or the layout is not Latin (Ctrl+K on
  // a Russian layout is Ctrl+л): the physical key says which one it was.
  if ((press.altKey || press.ctrlKey || press.metaKey) && press.code) {
    if (/^Key[A-Z]$/u.test(press.code)) return press.code.slice(3).toLowerCase();
    if (press.code === 'Slash' && key !== '?') return '/';
  }
  return press.key === 'Dead' ? '' : key;
}

function matches(combo: KeyCombo, press: KeyPress, context: PressContext): boolean {
  if (combo.outsideFields && context.inField) return false;
  const mod = context.apple ? press.metaKey : press.ctrlKey;
  const other = context.apple ? press.ctrlKey : press.metaKey;
  if (press.altKey !== !!combo.alt || mod !== !!combo.mod || other) return false;
  // Shift counts for letters and named keys; a sign is what Shift typed (? is Shift+/ on many
  // layouts, a single key on others).
  if ((latinLetter.test(combo.key) || named.test(combo.key)) && press.shiftKey !== !!combo.shift) {
    return false;
  }
  return keyOf(press) === combo.key;
}

/** The shortcut a key press means, or null (then the key is left to whatever has the focus). */
export function matchShortcut(press: KeyPress, context: PressContext): ShortcutAction | null {
  // 229: the key went to an input method (some browsers say so only this way).
  if (press.isComposing || press.keyCode === 229) return null;
  for (const shortcut of shortcuts) {
    if (press.repeat && !shortcut.repeats) continue;
    if (shortcut.combos.some((combo) => matches(combo, press, context))) return shortcut.action;
  }
  return null;
}

const keyNames: Record<string, string> = {
  ArrowDown: '↓',
  ArrowUp: '↑',
  Escape: 'Esc',
  Enter: 'Enter',
};

/** The caps to draw for a combo: `['Alt', '↓']`, on macOS `['⌥', '↓']`; `['Ctrl', 'K']` / `['⌘', 'K']`. */
export function comboKeys(combo: KeyCombo, apple: boolean): string[] {
  const caps: string[] = [];
  if (combo.mod) caps.push(apple ? '⌘' : 'Ctrl');
  if (combo.alt) caps.push(apple ? '⌥' : 'Alt');
  if (combo.shift) caps.push(apple ? '⇧' : 'Shift');
  caps.push(keyNames[combo.key] ?? (combo.key.length === 1 ? combo.key.toUpperCase() : combo.key));
  return caps;
}
