/** localStorage that never throws: blocked or full storage leaves the page working in memory. */
export function safeGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function safeSet(key: string, value: string) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // storage blocked or full: the visitor stays anonymous, the outbox works in memory
  }
}

export function safeRemove(key: string) {
  try {
    localStorage.removeItem(key);
  } catch {
    // storage blocked: nothing was kept
  }
}
