import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelListResponse, ChannelResponse } from '@servicesystem/protocol';
import { startTestApp, type TestApp } from '../support/testApp.js';

describe('channels', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('admins create, read, edit, rotate and delete channels', async () => {
    const created = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: {
        name: 'Shop',
        welcomeMessage: 'Welcome to the shop!',
        allowedOrigins: ['https://shop.example.com', 'http://127.0.0.2:8080/'],
      },
    });
    expect(created.status).toBe(201);
    const { channel } = ChannelResponse.parse(created.body);
    expect(channel).toMatchObject({
      name: 'Shop',
      // One string: every language.
      welcomeMessage: { 'zh-CN': 'Welcome to the shop!', en: 'Welcome to the shop!' },
      allowedOrigins: ['https://shop.example.com', 'http://127.0.0.2:8080'],
      blockedOrigins: [],
      loadedOrigins: [],
    });
    expect(Buffer.from(channel.identitySecret!, 'base64url')).toHaveLength(32);

    const edited = await t.request('PATCH', `/api/v1/channels/${channel.id}`, {
      token: t.adminToken,
      body: { name: 'Shop CN', allowedOrigins: [], welcomeMessage: { 'zh-CN': '欢迎光临！' } },
    });
    expect(edited.status).toBe(200);
    // Only the language given changes; an empty text removes one language's.
    expect(edited.body.channel).toMatchObject({
      name: 'Shop CN',
      allowedOrigins: [],
      welcomeMessage: { 'zh-CN': '欢迎光临！', en: 'Welcome to the shop!' },
    });
    const cleared = await t.request('PATCH', `/api/v1/channels/${channel.id}`, {
      token: t.adminToken,
      body: { welcomeMessage: { en: '' } },
    });
    expect(cleared.body.channel.welcomeMessage).toEqual({ 'zh-CN': '欢迎光临！', en: '' });
    const wrong = await t.request('PATCH', `/api/v1/channels/${channel.id}`, {
      token: t.adminToken,
      body: { welcomeMessage: { fr: 'Bienvenue' } },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.code).toBe('VALIDATION_FAILED');
    expect(edited.body.channel.identitySecret).toBe(channel.identitySecret);

    const rotated = await t.request('POST', `/api/v1/channels/${channel.id}/rotate-secret`, {
      token: t.adminToken,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.channel.identitySecret).not.toBe(channel.identitySecret);
    expect(Buffer.from(rotated.body.channel.identitySecret, 'base64url')).toHaveLength(32);

    const list = ChannelListResponse.parse(
      (await t.request('GET', '/api/v1/channels', { token: t.adminToken })).body,
    );
    expect(list.channels.map((c) => c.name)).toEqual(['Default', 'Shop CN']);

    const removed = await t.request('DELETE', `/api/v1/channels/${channel.id}`, {
      token: t.adminToken,
    });
    expect(removed.status).toBe(204);
    const gone = await t.request('GET', `/api/v1/channels/${channel.id}`, { token: t.adminToken });
    expect(gone.status).toBe(404);
  });

  it('agents read channel names but never identity secrets', async () => {
    const { token } = await t.createAccount();
    const list = await t.request('GET', '/api/v1/channels', { token });
    expect(list.status).toBe(200);
    expect(list.body.channels.length).toBeGreaterThan(0);
    for (const channel of list.body.channels) expect(channel).not.toHaveProperty('identitySecret');
    const one = await t.request('GET', `/api/v1/channels/${list.body.channels[0].id}`, { token });
    expect(one.status).toBe(200);
    expect(one.body.channel).not.toHaveProperty('identitySecret');
  });

  it('validates names and origins', async () => {
    for (const body of [
      { name: '' },
      { name: 'x'.repeat(65) },
      { name: 'A', allowedOrigins: ['not an origin'] },
      { name: 'A', allowedOrigins: ['https://example.com/path'] },
      { name: 'A', allowedOrigins: ['javascript:alert(1)'] },
      { name: 'A', identitySecret: 'mine' },
    ]) {
      const answer = await t.request('POST', '/api/v1/channels', { token: t.adminToken, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe('VALIDATION_FAILED');
    }
  });
});
