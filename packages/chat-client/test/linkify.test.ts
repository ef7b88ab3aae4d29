import { describe, expect, it } from 'vitest';
import { linkify, type TextSegment } from '../src/linkify.js';

const text = (t: string): TextSegment => ({ kind: 'text', text: t });
const link = (t: string, href = t): TextSegment => ({ kind: 'link', text: t, href });

/** Every link's href: what a click could open. */
const hrefs = (input: string) => linkify(input).flatMap((s) => (s.kind === 'link' ? [s.href] : []));

describe('linkify', () => {
  it('gives back the text unchanged, split into segments', () => {
    for (const input of [
      'hello',
      'see https://example.com/a?b=1#c, thanks',
      '<img src=x onerror=alert(1)>',
      '看这里https://example.com，谢谢',
      'x'.repeat(300),
    ]) {
      expect(
        linkify(input)
          .map((s) => s.text)
          .join(''),
      ).toBe(input);
    }
    expect(linkify('')).toEqual([]);
  });

  it('links http and https URLs with the href the browser would open', () => {
    expect(linkify('Order #1234 https://example.com/orders/1234')).toEqual([
      text('Order #1234 '),
      link('https://example.com/orders/1234'),
    ]);
    expect(linkify('http://localhost:3000/chat/?channel=abc&locale=en')).toEqual([
      link('http://localhost:3000/chat/?channel=abc&locale=en'),
    ]);
    expect(linkify('HTTPS://EXAMPLE.COM')).toEqual([
      link('HTTPS://EXAMPLE.COM', 'https://example.com/'),
    ]);
    expect(linkify('a https://a.example b https://b.example')).toEqual([
      text('a '),
      link('https://a.example', 'https://a.example/'),
      text(' b '),
      link('https://b.example', 'https://b.example/'),
    ]);
  });

  // [input, the segments it must give]
  const hostile: Array<[string, TextSegment[]]> = [
    // other schemes never become links
    ['javascript:alert(1)', [text('javascript:alert(1)')]],
    ['JaVaScRiPt:alert(document.cookie)', [text('JaVaScRiPt:alert(document.cookie)')]],
    [
      'data:text/html,<script>alert(10)</script>',
      [text('data:text/html,<script>alert(10)</script>')],
    ],
    ['vbscript:msgbox(1)', [text('vbscript:msgbox(1)')]],
    ['[click](javascript:alert(5))', [text('[click](javascript:alert(5))')]],
    ['<a href="javascript:alert(3)">x</a>', [text('<a href="javascript:alert(3)">x</a>')]],
    ['file:///etc/passwd ftp://example.com', [text('file:///etc/passwd ftp://example.com')]],
    // an http URL after another scheme: only the http part, text before it
    [
      'javascript:https://example.com',
      [text('javascript:'), link('https://example.com', 'https://example.com/')],
    ],
    // not at a word boundary
    ['xhttps://example.com', [text('xhttps://example.com')]],
    // attribute and tag breakouts end the link
    [
      'https://example.com/"><img src=x onerror=alert(8)>',
      [link('https://example.com/'), text('"><img src=x onerror=alert(8)>')],
    ],
    [
      "https://example.com/'onmouseover='alert(1)",
      [link('https://example.com/'), text("'onmouseover='alert(1)")],
    ],
    ['https://example.com/<script>', [link('https://example.com/'), text('<script>')]],
    // backticks: Markdown code, and an attribute delimiter to old parsers
    [
      '`https://example.com`',
      [text('`'), link('https://example.com', 'https://example.com/'), text('`')],
    ],
    [
      'https://example.com/`onmouseover=alert(1)`',
      [link('https://example.com/'), text('`onmouseover=alert(1)`')],
    ],
    // trailing punctuation belongs to the sentence
    [
      'See https://example.com.',
      [text('See '), link('https://example.com', 'https://example.com/'), text('.')],
    ],
    ['https://example.com/a?!', [link('https://example.com/a'), text('?!')]],
    ['(https://example.com/a)', [text('('), link('https://example.com/a'), text(')')]],
    [
      'https://en.wikipedia.org/wiki/Foo_(bar)).',
      [link('https://en.wikipedia.org/wiki/Foo_(bar)'), text(').')],
    ],
    [
      '看这里https://example.com/a，谢谢',
      [text('看这里'), link('https://example.com/a'), text('，谢谢')],
    ],
    ['链接：https://example.com/a。', [text('链接：'), link('https://example.com/a'), text('。')]],
    [
      'https://example.com谢谢',
      [link('https://example.com', 'https://example.com/'), text('谢谢')],
    ],
    // look-alike hosts, user parts and rewritten hosts stay text
    ['https://exаmple.com/login', [text('https://exаmple.com/login')]], // Cyrillic а
    ['https://ехample.com', [text('https://ехample.com')]], // Cyrillic е and х
    ['https://example.com@evil.example/', [text('https://example.com@evil.example/')]],
    ['https://user:pass@example.com/', [text('https://user:pass@example.com/')]],
    ['http://2130706433/', [text('http://2130706433/')]],
    ['http://0x7f.1/', [text('http://0x7f.1/')]],
    ['https://%65xample.com/', [text('https://%65xample.com/')]],
    ['https://ｅｘａｍｐｌｅ.com/', [text('https://ｅｘａｍｐｌｅ.com/')]],
    // a URL run into an invisible or direction character stays text: what is shown would not
    // be where it goes
    ['https://evil.example\u202E/moc.elpmaxe', [text('https://evil.example\u202E/moc.elpmaxe')]],
    ['https://evil.example\u200B.bank.com/', [text('https://evil.example\u200B.bank.com/')]],
    ['https://example.com/a\u2066b', [text('https://example.com/a\u2066b')]],
    ['https://example.com/\u{E0041}', [text('https://example.com/\u{E0041}')]],
    // nothing to link
    ['https://', [text('https://')]],
    ['https://.', [text('https://.')]],
    ['http://example.com:99999/', [text('http://example.com:99999/')]],
  ];

  it.each(hostile)('%j', (input, expected) => {
    expect(linkify(input)).toEqual(expected);
  });

  it('only ever gives http(s) hrefs', () => {
    const inputs = hostile.map(([input]) => input).join(' ');
    const all = hrefs(inputs);
    expect(all.length).toBeGreaterThan(5);
    for (const href of all) expect(href).toMatch(/^https?:\/\/[a-z0-9.-]+(:[0-9]+)?\//);
  });

  it('splits very long text in linear time', () => {
    const words = 'word '.repeat(40_000);
    const dots = `https://example.com/${'.'.repeat(50_000)}`;
    const brackets = `https://example.com/${')'.repeat(50_000)}`;
    const many = 'https://a.example/x '.repeat(5_000);
    const started = performance.now();
    expect(linkify(words)).toEqual([text(words)]);
    expect(linkify(dots)).toEqual([link('https://example.com/'), text('.'.repeat(50_000))]);
    expect(linkify(brackets)).toEqual([link('https://example.com/'), text(')'.repeat(50_000))]);
    expect(hrefs(many)).toHaveLength(5_000);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
