import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { checkScreen, launchBrowser, signIn, checkBothSizes, desk } from './support/browser.js';
import { e2eAdmin, rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * The reports page in a real browser: an admin in Shanghai opens it from the menu, sees the
 * day's ended conversations per agent, narrows it by agent and by channel, picks a preset range
 * and downloads the CSV. Audited (and with SCREENSHOTS=1 saved) at 1280 × 720 and 390 × 844.
 */

const zone = 'Asia/Shanghai';

describe('reports page', () => {
  let server: E2eServer;
  let browser: Browser;
  let adminToken: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startE2eServer({ REPORT_TIME_ZONE: zone }),
      launchBrowser(),
    ]);
    adminToken = await server.adminToken();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Agents serve and end conversations over the API: `counts[i]` for agent i. */
  async function serve(agents: { token: string }[], counts: number[]) {
    const channelId = await server.channelId();
    for (const [i, agent] of agents.entries()) {
      for (const other of agents) {
        await rest(server, 'PUT', '/api/v1/me/status', other.token, {
          status: other === agent ? 'online' : 'away',
        });
      }
      for (let n = 0; n < counts[i]!; n++) {
        const visitor = await rest(server, 'POST', '/api/v1/visitor/session', undefined, {
          channelId,
        });
        const sent = await rest(server, 'POST', '/api/v1/visitor/messages', visitor.visitorToken, {
          clientMsgId: `v-${i}-${n}-${Date.now()}`,
          type: 'text',
          body: '你好，我的订单还没到',
        });
        const id = sent.conversation.id as string;
        await rest(server, 'POST', `/api/v1/conversations/${id}/messages`, agent.token, {
          clientMsgId: `a-${i}-${n}-${Date.now()}`,
          type: 'text',
          body: '您好，我来帮您查一下',
        });
        await rest(server, 'POST', `/api/v1/conversations/${id}/end`, agent.token);
        // Most visitors rate what they got, as the visitor page asks them to.
        if (n % 4 !== 3) {
          await rest(server, 'POST', `/api/v1/conversations/${id}/rating`, visitor.visitorToken, {
            score: 5 - ((n + i) % 3),
          });
        }
      }
    }
  }

  it('shows the day per agent, filters by agent and channel, and downloads the CSV', async () => {
    const agents = [];
    for (const [username, displayName] of [
      ['zhang', '张伟'],
      ['lin', '林晓'],
    ] as const) {
      await rest(server, 'POST', '/api/v1/accounts', adminToken, {
        username,
        displayName,
        password: `${username}-password-1`,
      });
      agents.push({ token: await server.login(username, `${username}-password-1`) });
    }
    await serve(agents, [3, 1]);
    const shop = (await rest(server, 'POST', '/api/v1/channels', adminToken, { name: '商城' }))
      .channel.id as string;
    expect(shop).toBeTruthy();

    const context = await browser.newContext({
      viewport: desk,
      locale: 'zh-CN',
      timezoneId: zone,
      acceptDownloads: true,
    });
    const page = await context.newPage();
    await signIn(page, server.url, e2eAdmin.username, e2eAdmin.password);
    await page.getByRole('link', { name: '报表' }).click();
    await page.getByRole('heading', { name: '报表' }).waitFor();
    const total = page.getByTestId('reports-total-conversations');
    await expect.poll(() => total.textContent()).toBe('4');
    // Four ratings given on the visitor's route (5, 4, 3 for 张伟; 4 for 林晓): 4.00 on average.
    expect(
      (await page.getByTestId('reports-total-rating').textContent())?.replace(/\s+/g, ''),
    ).toBe('4.00(4)');
    const table = page.getByTestId('reports-table');
    await table.getByText('张伟').waitFor();
    const rowOf = (name: string) => table.locator('.el-table__body tr', { hasText: name }).first();
    expect(await rowOf('张伟').locator('td').nth(1).textContent()).toContain('3');
    expect(await rowOf('林晓').locator('td').nth(1).textContent()).toContain('1');
    await page.locator('canvas').first().waitFor();
    await checkBothSizes(page, 'reports');
    // The per-agent table below the charts, with its total line.
    await table.scrollIntoViewIfNeeded();
    await checkScreen(page, 'reports-table-1280x720');

    // One agent: the figures are theirs alone.
    await page.getByTestId('reports-agent').click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '林晓' }).click();
    await expect.poll(() => total.textContent()).toBe('1');
    expect(await table.getByText('张伟').count()).toBe(0);

    // The CSV follows the filters: a BOM, the header, 林晓's day and no 张伟.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('reports-csv').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^report-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/,
    );
    const csv = await fs.readFile((await download.path())!, 'utf8');
    expect(csv.startsWith('\uFEFFday,agent,conversations,')).toBe(true);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(Date.now());
    expect(csv).toContain(`\r\n${today},林晓,1,1,1,`);
    expect(csv).not.toContain('张伟');

    // A channel where nothing happened: zeros and the empty state.
    await page.getByTestId('reports-agent').locator('.el-select__clear, .el-icon').last().hover();
    await page.getByTestId('reports-agent').locator('.el-select__clear').click();
    await expect.poll(() => total.textContent()).toBe('4');
    await page.getByTestId('reports-channel').click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: '商城' }).click();
    await expect.poll(() => total.textContent()).toBe('0');
    await page.getByTestId('reports-empty').waitFor();

    // Back to every channel, the last 30 days from the picker's presets: today is in it.
    await page.getByTestId('reports-channel').locator('.el-select__wrapper').hover();
    await page.getByTestId('reports-channel').locator('.el-select__clear').click();
    await page.getByTestId('reports-range').locator('input').first().click();
    await page.locator('.el-picker-panel__shortcut:visible', { hasText: '最近 30 天' }).click();
    await expect.poll(() => total.textContent()).toBe('4');
    await context.close();
  });
});
