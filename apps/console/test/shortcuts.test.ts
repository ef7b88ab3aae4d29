import { describe, expect, it } from 'vitest';
import {
  comboKeys,
  isApplePlatform,
  matchShortcut,
  type KeyPress,
  type PressContext,
} from '../src/lib/shortcuts';

/** A keydown as the browser reports it; `code` follows a US layout unless given. */
function press(key: string, extra: Partial<KeyPress> = {}): KeyPress {
  const code =
    key.length === 1 && /[a-z]/iu.test(key)
      ? `Key${key.toUpperCase()}`
      : key === '/' || key === '?'
        ? 'Slash'
        : key;
  return {
    key,
    code,
    altKey: false,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    isComposing: false,
    keyCode: 0,
    repeat: false,
    ...extra,
  };
}

const desk: PressContext = { apple: false, inField: false };
const typing: PressContext = { apple: false, inField: true };
const mac: PressContext = { apple: true, inField: false };
const macTyping: PressContext = { apple: true, inField: true };

describe('matchShortcut', () => {
  it('moves between conversations with Alt+arrows anywhere, and J/K only outside text fields', () => {
    expect(matchShortcut(press('ArrowDown', { altKey: true }), typing)).toBe('nextConversation');
    expect(matchShortcut(press('ArrowUp', { altKey: true }), desk)).toBe('previousConversation');
    expect(matchShortcut(press('j'), desk)).toBe('nextConversation');
    expect(matchShortcut(press('k'), desk)).toBe('previousConversation');
    expect(matchShortcut(press('j'), typing)).toBeNull();
    expect(matchShortcut(press('k'), typing)).toBeNull();
    // Plain arrows are the list's and the text's own.
    expect(matchShortcut(press('ArrowDown'), desk)).toBeNull();
    // Shift+J is a capital J, not a shortcut.
    expect(matchShortcut(press('J', { shiftKey: true }), desk)).toBeNull();
  });

  it('lets a held arrow move on, but not a held key that ends or opens something', () => {
    expect(matchShortcut(press('ArrowDown', { altKey: true, repeat: true }), desk)).toBe(
      'nextConversation',
    );
    expect(
      matchShortcut(press('X', { altKey: true, shiftKey: true, repeat: true }), desk),
    ).toBeNull();
    expect(matchShortcut(press('?', { shiftKey: true, repeat: true }), desk)).toBeNull();
  });

  it('acts with Alt+letters in text fields, also when ⌥ typed another character on a Mac', () => {
    expect(matchShortcut(press('c', { altKey: true }), typing)).toBe('focusComposer');
    expect(matchShortcut(press('n', { altKey: true }), typing)).toBe('toggleNote');
    expect(matchShortcut(press('/', { altKey: true }), typing)).toBe('savedReplies');
    expect(matchShortcut(press('g', { altKey: true }), typing)).toBe('suggestReply');
    expect(matchShortcut(press('X', { altKey: true, shiftKey: true }), typing)).toBe(
      'endConversation',
    );
    // ⌥C types ç, ⌥N starts a dead key, ⌥/ types ÷, ⌥⇧X types ˛: the physical key decides.
    expect(matchShortcut(press('ç', { altKey: true, code: 'KeyC' }), macTyping)).toBe(
      'focusComposer',
    );
    expect(matchShortcut(press('Dead', { altKey: true, code: 'KeyN' }), macTyping)).toBe(
      'toggleNote',
    );
    expect(matchShortcut(press('÷', { altKey: true, code: 'Slash' }), macTyping)).toBe(
      'savedReplies',
    );
    expect(
      matchShortcut(press('˛', { altKey: true, shiftKey: true, code: 'KeyX' }), macTyping),
    ).toBe('endConversation');
    // ⌥G types ©.
    expect(matchShortcut(press('©', { altKey: true, code: 'KeyG' }), macTyping)).toBe(
      'suggestReply',
    );
    // Alt+X without Shift is nothing of ours.
    expect(matchShortcut(press('x', { altKey: true }), typing)).toBeNull();
  });

  it('never takes AltGr (Ctrl+Alt on Windows), which types characters', () => {
    expect(matchShortcut(press('c', { altKey: true, ctrlKey: true }), typing)).toBeNull();
    expect(matchShortcut(press('ArrowDown', { altKey: true, ctrlKey: true }), typing)).toBeNull();
  });

  it('searches with Ctrl+K (⌘K on a Mac) and / outside text fields', () => {
    expect(matchShortcut(press('k', { ctrlKey: true }), typing)).toBe('search');
    expect(matchShortcut(press('k', { metaKey: true }), macTyping)).toBe('search');
    // On a Mac, Ctrl+K belongs to the text (it cuts to the end of the line); elsewhere ⌘/Win+K is not ours.
    expect(matchShortcut(press('k', { ctrlKey: true }), macTyping)).toBeNull();
    expect(matchShortcut(press('k', { metaKey: true }), typing)).toBeNull();
    // A Russian layout: Ctrl+K types л; the key is still K.
    expect(matchShortcut(press('л', { ctrlKey: true, code: 'KeyK' }), typing)).toBe('search');
    expect(matchShortcut(press('/'), desk)).toBe('search');
    // In the composer `/` opens the saved replies: it is not taken.
    expect(matchShortcut(press('/'), typing)).toBeNull();
  });

  it('opens the help with ? outside text fields, and with Ctrl+/ or ⌘/ anywhere', () => {
    expect(matchShortcut(press('?', { shiftKey: true }), desk)).toBe('help');
    // A layout where ? is a key of its own.
    expect(matchShortcut(press('?', { code: 'Minus' }), desk)).toBe('help');
    expect(matchShortcut(press('?', { shiftKey: true }), typing)).toBeNull();
    expect(matchShortcut(press('/', { ctrlKey: true }), typing)).toBe('help');
    expect(matchShortcut(press('/', { metaKey: true }), macTyping)).toBe('help');
    expect(matchShortcut(press('/', { ctrlKey: true }), mac)).toBeNull();
  });

  it('ignores every key while an input method composes', () => {
    expect(matchShortcut(press('j', { isComposing: true }), desk)).toBeNull();
    expect(matchShortcut(press('ArrowDown', { altKey: true, isComposing: true }), desk)).toBeNull();
    // Chrome reports a key the input method took as keyCode 229 ("Process").
    expect(matchShortcut(press('j', { keyCode: 229 }), desk)).toBeNull();
    expect(matchShortcut(press('Process', { keyCode: 229, code: 'KeyJ' }), desk)).toBeNull();
  });

  it("leaves the composer's own keys alone", () => {
    for (const key of [
      press('Enter'),
      press('Enter', { shiftKey: true }),
      press('Escape'),
      press('Tab'),
    ]) {
      expect(matchShortcut(key, typing)).toBeNull();
      expect(matchShortcut(key, desk)).toBeNull();
    }
  });
});

describe('comboKeys', () => {
  it('names the keys as this computer does', () => {
    expect(comboKeys({ key: 'ArrowDown', alt: true }, false)).toEqual(['Alt', '↓']);
    expect(comboKeys({ key: 'ArrowDown', alt: true }, true)).toEqual(['⌥', '↓']);
    expect(comboKeys({ key: 'k', mod: true }, false)).toEqual(['Ctrl', 'K']);
    expect(comboKeys({ key: 'k', mod: true }, true)).toEqual(['⌘', 'K']);
    expect(comboKeys({ key: 'x', alt: true, shift: true }, false)).toEqual(['Alt', 'Shift', 'X']);
    expect(comboKeys({ key: 'x', alt: true, shift: true }, true)).toEqual(['⌥', '⇧', 'X']);
    expect(comboKeys({ key: '?', outsideFields: true }, true)).toEqual(['?']);
    expect(comboKeys({ key: 'Escape' }, false)).toEqual(['Esc']);
  });

  it('knows Apple platforms', () => {
    expect(isApplePlatform('MacIntel')).toBe(true);
    expect(isApplePlatform('macOS')).toBe(true);
    expect(isApplePlatform('iPad')).toBe(true);
    expect(isApplePlatform('Win32')).toBe(false);
    expect(isApplePlatform('Linux x86_64')).toBe(false);
  });
});
