import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startSmtpCatcher, type SmtpCatcher } from '../apps/server/test/support/smtpCatcher.js';
import { checkScreen, launchBrowser, signIn } from './support/browser.js';
import { rest, startE2eServer, type E2eServer } from './support/server.js';

/**
 * Nobody online: the visitor leaves a message with the form, an agent who comes online finds it
 * marked in the console with the contact, replies, and the reply reaches the visitor by email
 * with a link back into the conversation; once it has ended, the visitor mails themself the
 * transcript. With SCREENSHOTS=1 the screens are saved at 1280×720 and 390×844.
 */

const desk = { width: 1280, height: 720 };
const phone = { width: 390, height: 844 };
const phoneContext = { viewport: phone, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

describe('leaving a message when nobody can answer', () => {
  let server: E2eServer;
  let browser: Browser;
  let smtp: SmtpCatcher;
  let channelId: string;
  let adminToken: string;
  const contexts: BrowserContext[] = [];
  const context = async (options: Parameters<Browser['newContext']>[0]) => {
    const made = await browser.newContext(options);
    contexts.push(made);
    return made;
  };

  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    [server, browser] = await Promise.all([
      startE2eServer({
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Shop Support <support@shop.example>',
        MAIL_REPLY_DELAY_SECONDS: '1',
      }),
      launchBrowser(),
    ]);
    channelId = await server.channelId();
    adminToken = await server.adminToken();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.stop();
    await smtp?.close();
  });

  const visitorPage = async (options: Parameters<Browser['newContext']>[0], query = '') => {
    const page = await (await context(options)).newPage();
    await page.goto(`${server.url}/chat/?channel=${channelId}&locale=en${query}`);
    return page;
  };

  it('the form, the console card, the reply by email and its link, the transcript', async () => {
    // On a desk: the offer, then the form in place of the composer.
    const wide = await visitorPage({ viewport: desk, locale: 'en-US' });
    await wide.getByTestId('leave-message-offer').waitFor();
    await checkScreen(wide, 'leave-message-offer-1280x720');
    await wide.getByTestId('leave-message-open').click();
    await wide.getByTestId('leave-message-form').waitFor();
    expect(await wide.locator('textarea[placeholder="Type a message…"]').count()).toBe(0);
    await checkScreen(wide, 'leave-message-form-1280x720');
    // Cancel: back to the offer and the composer.
    await wide.getByTestId('leave-message-cancel').click();
    await wide.locator('textarea[placeholder="Type a message…"]').waitFor();

    // On a phone, in English: checked before it is sent.
    const page = await visitorPage(phoneContext);
    await page.getByTestId('leave-message-offer').waitFor();
    await checkScreen(page, 'leave-message-offer-390x844');
    await page.getByTestId('leave-message-open').click();
    const form = page.getByTestId('leave-message-form');
    await form.waitFor();
    await checkScreen(page, 'leave-message-form-390x844');
    await page.getByTestId('leave-submit').click();
    await form.getByText('Please give your name').waitFor();
    await form.getByText('Please give an email address or a phone number').waitFor();
    await checkScreen(page, 'leave-message-form-errors-390x844');
    await page.getByTestId('leave-name').fill('Li <b>Lei</b>');
    await page.getByTestId('leave-email').fill('not-an-address');
    await page.getByTestId('leave-text').fill('Do you ship to Hangzhou? <script>alert(1)</script>');
    await page.getByTestId('leave-submit').click();
    await form.getByText('This email address does not look right').waitFor();
    await page.getByTestId('leave-email').fill('li.lei@example.com');
    await page.getByTestId('leave-submit').click();

    // Sent: the message in the conversation, and where the answer will come.
    const sent = page.getByTestId('left-message-sent');
    await sent.waitFor();
    expect(await sent.textContent()).toContain(
      'We will reply here and by email to li.lei@example.com',
    );
    await page.getByText('Do you ship to Hangzhou? <script>alert(1)</script>').waitFor();
    expect(await page.locator('script:text("alert(1)")').count()).toBe(0);
    expect(await form.count()).toBe(0);
    await checkScreen(page, 'leave-message-sent-390x844');

    // An agent comes online and gets it: marked in the list, with the contact in the pane.
    await rest(server, 'POST', '/api/v1/agents', adminToken, {
      username: 'wangfang',
      displayName: 'Wang Fang',
      password: 'wangfang-password-1',
    });
    const agent = await (await context({ viewport: desk, locale: 'en-US' })).newPage();
    await signIn(agent, server.url, 'wangfang', 'wangfang-password-1');
    await agent.getByTestId('status').waitFor();
    const token = await server.login('wangfang', 'wangfang-password-1');
    await rest(server, 'PUT', '/api/v1/me/status', token, { status: 'online' });
    const row = agent.locator('.row', { hasText: 'Li <b>Lei</b>' });
    await row.getByTestId('left-message-tag').waitFor();
    await row.click();
    const card = agent.getByTestId('left-message-card');
    await card.waitFor();
    expect(await card.textContent()).toContain('li.lei@example.com');
    expect(await agent.getByTestId('left-message-mail').textContent()).toContain(
      'Your replies also go to li.lei@example.com',
    );
    expect(await agent.locator('b', { hasText: 'Lei' }).count()).toBe(0);
    await checkScreen(agent, 'left-message-console-1280x720');
    await agent.setViewportSize(phone);
    await card.waitFor();
    await checkScreen(agent, 'left-message-console-390x844');
    await agent.setViewportSize(desk);

    // The visitor has gone (a page left open reads the replies, and then no mail goes).
    await page.close();
    // Two quick replies: one mail, with a link back into the conversation.
    const composer = agent.getByTestId('composer');
    await composer.fill('Yes, we ship to Hangzhou.');
    await composer.press('Enter');
    await composer.fill('Delivery takes 2 days.');
    await composer.press('Enter');
    const [mail] = await smtp.waitForMails(1, 30_000);
    expect(mail!.to).toEqual(['li.lei@example.com']);
    expect(mail!.text).toContain('Yes, we ship to Hangzhou.');
    expect(mail!.text).toContain('Delivery takes 2 days.');
    const link = /http:\/\/\S+\/chat\/\?\S+/.exec(mail!.text)![0];

    // The link in another browser (a phone's mail app): that visitor's conversation.
    const fromMail = await (await context(phoneContext)).newPage();
    await fromMail.goto(link);
    await fromMail.getByText('Delivery takes 2 days.').waitFor();
    await fromMail.getByText('Do you ship to Hangzhou? <script>alert(1)</script>').waitFor();
    // The token leaves the address bar once used.
    expect(new URL(fromMail.url()).searchParams.get('resume')).toBeNull();
    await checkScreen(fromMail, 'leave-message-resumed-390x844');

    // Ended: the visitor mails themself the transcript, the address they left already there.
    const conversationId = (await rest(server, 'GET', '/api/v1/conversations?state=active', token))
      .conversations[0].id as string;
    await rest(server, 'POST', `/api/v1/conversations/${conversationId}/end`, token);
    const offer = fromMail.getByTestId('transcript-offer');
    await offer.waitFor();
    expect(await fromMail.getByTestId('transcript-email').inputValue()).toBe('li.lei@example.com');
    await checkScreen(fromMail, 'transcript-offer-390x844');
    await fromMail.getByTestId('transcript-send').click();
    await fromMail.getByTestId('transcript-sent').waitFor();
    const mails = await smtp.waitForMails(2, 30_000);
    expect(mails[1]!.subject).toMatch(/^Your conversation with /);
    expect(mails[1]!.text).toContain('Delivery takes 2 days.');
    await checkScreen(fromMail, 'transcript-sent-390x844');
    await fromMail.setViewportSize(desk);
    await checkScreen(fromMail, 'transcript-sent-1280x720');
  });

  it('a link that no longer works says so and gives a fresh start', async () => {
    const page: Page = await visitorPage(phoneContext, '&resume=forged.token.value');
    await page.getByTestId('resume-invalid').waitFor();
    expect(await page.getByTestId('resume-invalid').textContent()).toContain(
      'has expired or is not valid',
    );
    expect(new URL(page.url()).searchParams.get('resume')).toBeNull();
    await checkScreen(page, 'leave-message-link-invalid-390x844');
  });
});
