import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  isApiKeyToken,
  newApiKeyToken,
  readApiKeyToken,
  sameHash,
} from '../../src/auth/apiKeyTokens.js';

const id = '0192d3a4-5b6c-7d8e-9f01-23456789abcd';

describe('API key tokens', () => {
  it('are ssk_<id>_<256-bit secret>, and only the hash of the secret is kept', () => {
    const { token, secretHash } = newApiKeyToken(id);
    expect(token).toMatch(new RegExp(`^ssk_${id}_[A-Za-z0-9_-]{43}$`));
    const secret = token.slice(`ssk_${id}_`.length);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(secretHash).not.toContain(secret);
    expect(isApiKeyToken(token)).toBe(true);
    expect(readApiKeyToken(token)).toEqual({ id, secretHash });
  });

  it('gives two keys two secrets', () => {
    expect(newApiKeyToken(id).token).not.toBe(newApiKeyToken(id).token);
  });

  it('reads nothing from what cannot be a token', () => {
    const { token } = newApiKeyToken(id);
    for (const bad of [
      '',
      'ssk_',
      `ssk_${id}`,
      `ssk_${id}_`,
      `${token}A`,
      token.slice(0, -1),
      token.replace('ssk_', 'sst_'),
      `ssk_${id.toUpperCase()}_${'A'.repeat(43)}`,
      `ssk_${id}_${'A'.repeat(42)}=`,
      ` ${token}`,
    ]) {
      expect(readApiKeyToken(bad), bad).toBeUndefined();
    }
  });

  it('compares hashes whole: equal ones only, never empty or of another length', () => {
    const a = 'ab'.repeat(32);
    expect(sameHash(a, a)).toBe(true);
    expect(sameHash(a, 'ac' + a.slice(2))).toBe(false);
    expect(sameHash(a, a.slice(2))).toBe(false);
    expect(sameHash('', '')).toBe(false);
  });
});
