import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startFakeModel, type FakeModel } from '../apps/server/test/support/fakeModel.js';
import { checkScreen, launchBrowser, phone } from './support/browser.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The robot's answer as a language model writes it (a real local OpenAI-compatible server that
 * the test starts): the visitor sees it grow in a robot bubble with a cursor, then the stored
 * answer in its place; when the model stalls past its deadline, the bubble goes and the chat
 * hands over to people.
 */

const phoneContext = { viewport: phone, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

describe('the robot answering with a language model, on the visitor page', () => {
  let server: E2eServer;
  let browser: Browser;
  let model: FakeModel;
  let channelId: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    model = await startFakeModel();
    [server, browser] = await Promise.all([
      startE2eServer({
        LLM_BASE_URL: model.baseUrl,
        LLM_MODEL: 'fake-model',
        // A stalled answer is given up after 3 s (the shortest the server takes is 1 s).
        LLM_TIMEOUT_MS: '3000',
      }),
      launchBrowser(),
    ]);
    channelId = await server.channelId();
    const admin = await server.adminToken();
    await rest(server, 'PATCH', `/api/v1/channels/${channelId}`, admin, {
      robot: {
        mode: 'first',
        greeting: { 'zh-CN': '您好，有什么可以帮您？', en: 'Hi, how can I help?' },
      },
    });
    await rest(server, 'POST', `/api/v1/channels/${channelId}/faq`, admin, {
      questions: ['怎么退货？', '如何申请退货'],
      answer: '收到商品 7 天内可以申请退货：打开订单，点“申请售后”。',
    });
    await rest(server, 'POST', `/api/v1/channels/${channelId}/faq`, admin, {
      questions: ['运费是多少？', '邮费怎么算'],
      answer: '订单满 99 元包邮，不满 99 元收 8 元运费。',
    });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await model?.close();
  });

  async function visitorPage(): Promise<Page> {
    const context = await browser.newContext({ ...phoneContext, locale: 'zh-CN' });
    contexts.push(context);
    const page = await context.newPage();
    // Every text a streamed bubble shows, as the page shows it (no timing involved).
    await page.addInitScript(() => {
      const g = globalThis as any;
      g.previewTexts = [];
      new g.MutationObserver(() => {
        for (const el of g.document.querySelectorAll('[data-testid=robot-preview]')) {
          const text = el.querySelector('.bubble').textContent;
          if (g.previewTexts.at(-1) !== text) g.previewTexts.push(text);
        }
      }).observe(g.document, { subtree: true, childList: true, characterData: true });
    });
    await page.goto(`${server.url}/chat/?channel=${channelId}`);
    await page.getByRole('textbox').waitFor();
    return page;
  }

  async function write(page: Page, text: string) {
    await page.getByRole('textbox').fill(text);
    await page.getByTestId('send').click();
  }

  it('grows the answer as it is written, then shows the stored answer in its place', async () => {
    model.behave({
      kind: 'stream',
      chunks: ['退货请在', '收到商品后 7 天内', '申请：打开订单，', '点“申请售后”即可。'],
      delayMs: 200,
    });
    const page = await visitorPage();
    await write(page, '怎么退货？');
    const answer = page
      .locator('[data-testid=robot-message][data-reply=answer]')
      .filter({ hasText: '点“申请售后”即可。' });
    await answer.waitFor();
    expect(await answer.textContent()).toContain('退货请在收到商品后 7 天内申请：打开订单，');
    await expect.poll(() => page.getByTestId('robot-preview').count()).toBe(0);
    const seen: string[] = await page.evaluate(() => (globalThis as any).previewTexts);
    // It grew: a part of the answer was on the page before the whole of it.
    expect(seen.length).toBeGreaterThan(1);
    expect(seen[0]!.length).toBeLessThan(seen.at(-1)!.length);
    expect('退货请在收到商品后 7 天内申请：打开订单，点“申请售后”即可。').toContain(seen[0]);
    expect(await page.getByTestId('robot-message').filter({ hasText: '即可' }).count()).toBe(1);
  });

  it('drops the bubble of an answer the model never finishes, and hands over', async () => {
    model.behave({ kind: 'stall', chunks: ['运费的话，', '满 99 元'] });
    const page = await visitorPage();
    await write(page, '运费是多少？');
    const preview = page.getByTestId('robot-preview');
    await preview.filter({ hasText: '满 99 元' }).waitFor();
    expect(await preview.getAttribute('data-state')).toBe('writing');
    expect(await preview.locator('.cursor').count()).toBe(1);
    await checkScreen(page, 'robot-streaming-zh-390x844');
    // Past the deadline: the bubble goes, the robot says it hands over, and stays quiet.
    await page.locator('[data-testid=system-message][data-kind=handedOff]').waitFor();
    expect(await preview.count()).toBe(0);
    expect(
      await page.locator('[data-testid=system-message][data-kind=handedOff]').textContent(),
    ).toContain('智能助手暂时无法回答');
    expect(await page.getByTestId('robot-bar').count()).toBe(0);
    model.release();
  });
});
