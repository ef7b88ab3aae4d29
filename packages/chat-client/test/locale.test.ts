import { describe, expect, it } from 'vitest';
import {
  chooseLocale,
  formatClock,
  formatListTime,
  formatMessageTime,
  localeFromLanguages,
  readerLanguage,
} from '../src/locale.js';
import { noticeText, textFor } from '../src/notices.js';

// 2026-12-01 13:14 local time.
const at = new Date(2026, 11, 1, 13, 14).getTime();

describe('choosing the language', () => {
  it('follows the browser’s languages in order, English for the rest', () => {
    expect(localeFromLanguages(['zh-TW', 'en'])).toBe('zh-CN');
    expect(localeFromLanguages(['en-GB', 'zh-CN'])).toBe('en');
    expect(localeFromLanguages(['fr-FR', 'zh'])).toBe('zh-CN');
    expect(localeFromLanguages(['fr-FR'])).toBe('en');
    expect(localeFromLanguages([])).toBe('en');
  });

  it('puts the person’s choice first, then what the page was told', () => {
    expect(chooseLocale({ chosen: 'en', requested: 'zh-CN', languages: ['zh-CN'] })).toBe('en');
    expect(chooseLocale({ chosen: null, requested: 'zh-CN', languages: ['en-US'] })).toBe('zh-CN');
    expect(chooseLocale({ chosen: 'klingon', languages: ['en-US'] })).toBe('en');
  });

  it('reports the language the visitor reads: the browser’s when it names the page’s, else the page’s', () => {
    expect(readerLanguage('en-GB', 'en')).toBe('en-GB');
    expect(readerLanguage('zh-TW', 'zh-CN')).toBe('zh-TW');
    // The page switched to the other language, or the browser speaks neither.
    expect(readerLanguage('zh-CN', 'en')).toBe('en');
    expect(readerLanguage('en-US', 'zh-CN')).toBe('zh-CN');
    expect(readerLanguage('fr-FR', 'en')).toBe('en');
    expect(readerLanguage(undefined, 'zh-CN')).toBe('zh-CN');
    expect(readerLanguage('', 'en')).toBe('en');
  });
});

describe('times', () => {
  it('reads 13:14 in Chinese and 1:14 PM in English, in both apps alike', () => {
    expect(formatClock(at, 'zh-CN')).toBe('13:14');
    expect(formatClock(at, 'en')).toMatch(/^1:14\s?PM$/);
  });

  it('adds the date when it is not today', () => {
    const nextWeek = at + 7 * 86_400_000;
    expect(formatMessageTime(at, 'zh-CN', at)).toBe('13:14');
    expect(formatMessageTime(at, 'zh-CN', nextWeek)).toMatch(/12月1日.*13:14/);
    expect(formatMessageTime(at, 'en', nextWeek)).toMatch(/Dec 1.*1:14\s?PM/);
    expect(formatListTime(at, 'zh-CN', nextWeek)).toBe('12/1');
    expect(formatListTime(at, 'en', nextWeek)).toBe('Dec 1');
  });
});

describe('system notices', () => {
  const welcome = {
    body: 'Hello',
    meta: { kind: 'welcome' as const, texts: { 'zh-CN': '您好', en: '' } },
  };

  it('show the channel’s text in the reader’s language, else the other one', () => {
    expect(noticeText(welcome, 'zh-CN', 'visitor')).toBe('您好');
    expect(noticeText(welcome, 'en', 'visitor')).toBe('您好');
    expect(textFor({ 'zh-CN': '', en: '' }, 'en', 'stored')).toBe('stored');
    // Stored before texts had languages: the body.
    expect(noticeText({ body: 'Hi', meta: { kind: 'welcome' } }, 'zh-CN', 'agent')).toBe('Hi');
  });

  it('are worded for who reads them, in their language', () => {
    const assigned = {
      body: 'Alice is now serving you.',
      meta: { kind: 'assigned' as const, agentName: 'Alice' },
    };
    expect(noticeText(assigned, 'zh-CN', 'visitor')).toBe('Alice 为您服务');
    expect(noticeText(assigned, 'zh-CN', 'agent')).toBe('已分配给 Alice');
    expect(noticeText(assigned, 'en', 'agent')).toBe('Assigned to Alice');
  });

  it('say why a conversation ended by itself, in both languages', () => {
    const idle = {
      body: 'The conversation ended after 30 minutes without a message.',
      meta: { kind: 'idleEnded' as const, minutes: 30 },
    };
    expect(noticeText(idle, 'zh-CN', 'visitor')).toBe('30 分钟内没有新消息，本次会话已自动结束');
    expect(noticeText(idle, 'en', 'visitor')).toBe(
      'This conversation ended after 30 minutes without a message',
    );
    expect(noticeText(idle, 'zh-CN', 'agent')).toBe('30 分钟无消息，会话已自动结束');
    expect(noticeText(idle, 'en', 'agent')).toBe(
      'Ended automatically after 30 minutes without a message',
    );
  });

  it('tell the truth about the queue', () => {
    const queued = (reason?: 'busy' | 'nobodyOnline' | 'offHours') => ({
      body: '',
      meta: { kind: 'queued' as const, position: 2, ...(reason ? { reason } : {}) },
    });
    expect(noticeText(queued('nobodyOnline'), 'zh-CN', 'visitor')).toContain('没有客服在线');
    expect(noticeText(queued('nobodyOnline'), 'en', 'visitor')).toContain('No agent is online');
    expect(noticeText(queued('busy'), 'en', 'visitor')).toContain('number 2');
    expect(noticeText(queued(), 'zh-CN', 'visitor')).toContain('第 2 位');
    expect(noticeText(queued('offHours'), 'en', 'visitor')).toContain('closed');
  });

  it('show the body of a message without meta', () => {
    expect(noticeText({ body: 'Old words', meta: null }, 'en', 'visitor')).toBe('Old words');
  });
});
