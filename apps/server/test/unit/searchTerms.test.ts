import { describe, expect, it } from 'vitest';
import {
  containsQuery,
  queryTerms,
  queryWords,
  searchTerms,
  snippetOf,
} from '../../src/db/search/searchTerms.js';

describe('search terms', () => {
  it('indexes Chinese runs by pairs, other words by triples, short words whole', () => {
    expect(searchTerms('退款到账')).toEqual(['退款', '款到', '到账']);
    expect(searchTerms('Refund')).toEqual(['ref', 'efu', 'fun', 'und']);
    expect(searchTerms('is 好 OK')).toEqual(['is', '好', 'ok']);
    // Letters next to Chinese are separate runs; punctuation ends a run.
    expect(searchTerms('iPhone退款，订单')).toEqual(['iph', 'pho', 'hon', 'one', '退款', '订单']);
    // Full-width letters and digits read as ASCII.
    expect(searchTerms('ＡＢ１２')).toEqual(['ab1', 'b12']);
  });

  it('a query’s terms are among the terms of any text that contains it', () => {
    const text = '您好，我的订单 A12345 还没发货，能帮我查一下物流吗？Tracking: SF1234567890';
    const indexed = new Set(searchTerms(text));
    for (const q of ['订单', '没发货', 'a1234', '12345', '物流', 'sf123', 'tracking', '4567890']) {
      const words = queryWords(q);
      expect(containsQuery(text, words)).toBe(true);
      for (const term of queryTerms(words)) expect(indexed.has(term)).toBe(true);
    }
  });

  it('needs every word, compared without case', () => {
    const words = queryWords('REFUND  way');
    expect(words).toEqual(['refund', 'way']);
    expect(containsQuery('Your refund is on its WAY', words)).toBe(true);
    expect(containsQuery('Your refund is late', words)).toBe(false);
  });

  it('cuts a snippet around the first match and marks every match in it', () => {
    const long = `${'前面的话。'.repeat(30)}我想申请退款，退款要多久？${'后面的话。'.repeat(30)}`;
    const { text, highlights } = snippetOf(long, ['退款']);
    expect(text.startsWith('…')).toBe(true);
    expect(text.endsWith('…')).toBe(true);
    expect(highlights).toHaveLength(2);
    for (const [start, end] of highlights) expect(text.slice(start, end)).toBe('退款');
    const short = snippetOf('Order A12345 late', ['a123', '12345']);
    // Overlapping matches merge into one range.
    expect(short.highlights).toEqual([[6, 12]]);
  });
});

describe('query terms', () => {
  it('cover each run without overlapping, the last flush with its end', () => {
    expect(queryTerms(queryWords('质量问题 refund'))).toEqual(['质量', '问题', 'ref', 'und']);
    expect(queryTerms(queryWords('物流信息'))).toEqual(['物流', '信息']);
    expect(queryTerms(queryWords('退款到账了'))).toEqual(['退款', '到账', '账了']);
    expect(queryTerms(queryWords('ab 好'))).toEqual(['ab', '好']);
  });
});
