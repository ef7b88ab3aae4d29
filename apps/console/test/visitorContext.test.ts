import { describe, expect, it } from 'vitest';
import {
  attributeText,
  clockIn,
  hostOf,
  safeHttpUrl,
  shortUrl,
  zoneOffsetMinutes,
} from '../src/lib/visitorContext';

describe("showing a visitor's context", () => {
  it('links only http(s) URLs', () => {
    expect(safeHttpUrl('https://shop.example.com/a?b=c#d')).toBe(
      'https://shop.example.com/a?b=c#d',
    );
    expect(safeHttpUrl('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080/');
    for (const bad of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'data:text/html,<b>x</b>',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      '//evil.example.com/',
      'not a url',
      '',
      null,
      undefined,
    ]) {
      expect(safeHttpUrl(bad), String(bad)).toBeNull();
    }
  });

  it('shortens a URL to its host and path, cut in the middle when long', () => {
    expect(shortUrl('https://www.shop.example.com/')).toBe('shop.example.com');
    expect(shortUrl('https://shop.example.com/p/42?color=red#reviews')).toBe(
      'shop.example.com/p/42?color=red#reviews',
    );
    expect(shortUrl('https://shop.example.com/%E9%9E%8B')).toBe('shop.example.com/鞋');
    const long = shortUrl(`https://shop.example.com/${'a'.repeat(100)}/end`, 40);
    expect(long).toHaveLength(40);
    expect(long.startsWith('shop.example.com/')).toBe(true);
    expect(long.endsWith('/end')).toBe(true);
    expect(long).toContain('…');
    // A malformed escape is shown as it came.
    expect(shortUrl('https://shop.example.com/%E9')).toBe('shop.example.com/%E9');
    expect(hostOf('https://www.search.example.org/?q=x')).toBe('search.example.org');
  });

  it("works out a time zone's offset from UTC at a given moment, summer time included", () => {
    const winter = Date.UTC(2026, 0, 15, 12, 0);
    const summer = Date.UTC(2026, 6, 15, 12, 0);
    expect(zoneOffsetMinutes('Asia/Shanghai', winter)).toBe(480);
    expect(zoneOffsetMinutes('Asia/Kolkata', winter)).toBe(330);
    expect(zoneOffsetMinutes('America/New_York', winter)).toBe(-300);
    expect(zoneOffsetMinutes('America/New_York', summer)).toBe(-240);
    expect(zoneOffsetMinutes('UTC', summer)).toBe(0);
    expect(zoneOffsetMinutes('Nowhere/Special', summer)).toBeNull();
  });

  it("tells the visitor's clock with its offset", () => {
    const at = Date.UTC(2026, 0, 15, 6, 5);
    expect(clockIn('Asia/Shanghai', at, 'zh-CN')).toEqual({ time: '14:05', zone: 'GMT+8' });
    expect(clockIn('Asia/Kolkata', at, 'en')).toEqual({ time: '11:35 AM', zone: 'GMT+5:30' });
    expect(clockIn('Nowhere/Special', at, 'en')).toBeNull();
  });

  it('shows attribute values on one line, nested ones as compact JSON', () => {
    expect(attributeText('Pro')).toBe('Pro');
    expect(attributeText(true)).toBe('true');
    expect(attributeText(null)).toBe('null');
    expect(attributeText({ id: 'SO-1', items: ['a', 'b'] })).toBe(
      '{"id":"SO-1","items":["a","b"]}',
    );
  });
});
