import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AuditListResponse,
  ChannelResponse,
  ErrorBody,
  FaqEntryResponse,
  FaqListResponse,
  SavedReplyResponse,
  TryRobotResponse,
  type FaqEntry,
  type TryRobotResponse as TryAnswer,
} from '@servicesystem/protocol';
import { startLiveApp, uploadPng, type LiveApp } from '../support/liveApp.js';
import { video } from '../support/mediaFactory.js';

/**
 * The robot's knowledge and settings through REST: a channel's FAQ entries (admins only), what
 * the robot would answer to a text (`/faq/try`, the real matcher), shared saved replies marked
 * for the robot, and the channel's `robot` settings.
 */
describe('FAQ entries and the robot settings', () => {
  let t: LiveApp;
  let agent: { id: string; token: string };
  let tmp: string;

  beforeAll(async () => {
    t = await startLiveApp();
    agent = await t.agent({ displayName: 'Agnes' });
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ss-faq-'));
  });
  afterAll(async () => {
    await t.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  // ---- helpers

  async function newChannel(name: string, body: Record<string, unknown> = {}): Promise<string> {
    const answer = await t.request('POST', '/api/v1/channels', {
      token: t.adminToken,
      body: { name, ...body },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return ChannelResponse.parse(answer.body).channel.id;
  }
  const faqUrl = (channelId: string, entryId?: string) =>
    `/api/v1/channels/${channelId}/faq${entryId === undefined ? '' : `/${entryId}`}`;
  const create = (channelId: string, body: unknown, token = t.adminToken) =>
    t.request('POST', faqUrl(channelId), { token, body });
  const edit = (channelId: string, entryId: string, body: unknown, token = t.adminToken) =>
    t.request('PATCH', faqUrl(channelId, entryId), { token, body });
  const remove = (channelId: string, entryId: string, token = t.adminToken) =>
    t.request('DELETE', faqUrl(channelId, entryId), { token });
  async function made(channelId: string, body: Record<string, unknown>): Promise<FaqEntry> {
    const answer = await create(channelId, body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return FaqEntryResponse.strict().parse(answer.body).entry;
  }
  async function edited(
    channelId: string,
    entryId: string,
    body: Record<string, unknown>,
  ): Promise<FaqEntry> {
    const answer = await edit(channelId, entryId, body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return FaqEntryResponse.strict().parse(answer.body).entry;
  }
  async function list(channelId: string): Promise<FaqEntry[]> {
    const answer = await t.request('GET', faqUrl(channelId), { token: t.adminToken });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return FaqListResponse.strict().parse(answer.body).entries;
  }
  async function tryText(channelId: string, text: string): Promise<TryAnswer> {
    const answer = await t.request('POST', `${faqUrl(channelId)}/try`, {
      token: t.adminToken,
      body: { text },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return TryRobotResponse.strict().parse(answer.body);
  }
  /** An error answer: its status and code, checked to be the JSON error body. */
  function failure(answer: { status: number; body: unknown; headers: Record<string, unknown> }) {
    expect(String(answer.headers['content-type'])).toMatch(/^application\/json/);
    const { error } = ErrorBody.parse(answer.body);
    expect(error.message.length).toBeGreaterThan(0);
    return {
      status: answer.status,
      code: error.code,
      paths: (error.issues ?? []).map((i) => i.path),
    };
  }
  async function auditOf(targetId: string) {
    const answer = await t.request('GET', `/api/v1/audit?targetId=${targetId}`, {
      token: t.adminToken,
    });
    expect(answer.status).toBe(200);
    return AuditListResponse.parse(answer.body)
      .entries.reverse()
      .map((e) => ({ action: e.action, target: e.target, changes: e.changes }));
  }
  async function uploadFile(token: string, bytes: Buffer, name: string): Promise<string> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), name);
    const uploaded = await fetch(`${t.url}/api/v1/uploads`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    return ((await uploaded.json()) as { file: { id: string } }).file.id;
  }
  let clip: string | undefined;
  /** A real video the admin uploaded: a file that is not an image. */
  async function adminVideo(): Promise<string> {
    if (clip === undefined) {
      const file = path.join(tmp, 'clip.mp4');
      await video(file, 0.5, 'mp4', '64x48');
      clip = await uploadFile(t.adminToken, await fs.readFile(file), 'clip.mp4');
    }
    return clip;
  }
  const rowsOf = (channelId: string) =>
    t.app.ctx.db
      .selectFrom('faq_entries')
      .select(['id', 'position'])
      .where('channel_id', '=', channelId)
      .orderBy('position')
      .execute();

  // ---- entries

  it('admins create, list, edit and delete entries; answers have the exact shapes', async () => {
    const channelId = await newChannel('Shop');
    const refund = await made(channelId, {
      questions: ['  退款多久到账？ ', 'How long does a\n refund take?'],
      answer: '  退款会在 3 个工作日内原路退回。\n详情 https://shop.example.com/refunds  ',
    });
    expect(refund).toEqual({
      id: expect.any(String),
      channelId,
      // Phrasings on one line, trimmed; the answer trimmed, its line breaks kept.
      questions: ['退款多久到账？', 'How long does a refund take?'],
      answer: '退款会在 3 个工作日内原路退回。\n详情 https://shop.example.com/refunds',
      image: null,
      enabled: true,
      position: 1,
      createdAt: expect.any(Number),
      updatedAt: refund.createdAt,
    });
    const invoice = await made(channelId, {
      questions: ['怎么开发票？'],
      answer: '在订单页点「申请发票」。',
      enabled: false,
    });
    expect(invoice).toMatchObject({ enabled: false, position: 2, image: null });
    expect(await list(channelId)).toEqual([refund, invoice]);

    const changed = await edited(channelId, refund.id, {
      answer: '退款 1–3 个工作日到账。',
      enabled: false,
    });
    expect(changed).toEqual({
      ...refund,
      answer: '退款 1–3 个工作日到账。',
      enabled: false,
      updatedAt: expect.any(Number),
    });
    expect(changed.updatedAt).toBeGreaterThanOrEqual(refund.updatedAt);
    // The same values again: nothing is written, the entry comes back as it is.
    expect(await edited(channelId, refund.id, { answer: '退款 1–3 个工作日到账。' })).toEqual(
      changed,
    );

    const deleted = await remove(channelId, refund.id);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    // The one after it moves up.
    expect(await list(channelId)).toEqual([{ ...invoice, position: 1 }]);
    expect(failure(await remove(channelId, refund.id))).toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
    });
    expect(await rowsOf(channelId)).toEqual([{ id: invoice.id, position: 1 }]);
  });

  it('moving an entry numbers the list 1..n again', async () => {
    const channelId = await newChannel('Order');
    const ids: string[] = [];
    for (const q of ['A 问题', 'B 问题', 'C 问题', 'D 问题']) {
      ids.push((await made(channelId, { questions: [q], answer: `${q}的答案` })).id);
    }
    const [a, b, c, d] = ids as [string, string, string, string];
    const order = async () => (await list(channelId)).map((e) => [e.id, e.position]);

    expect((await edited(channelId, d, { position: 1 })).position).toBe(1);
    expect(await order()).toEqual([
      [d, 1],
      [a, 2],
      [b, 3],
      [c, 4],
    ]);
    // Past the end: last.
    expect((await edited(channelId, d, { position: 99 })).position).toBe(4);
    expect(await order()).toEqual([
      [a, 1],
      [b, 2],
      [c, 3],
      [d, 4],
    ]);
    // Down, with another change in the same request.
    expect(await edited(channelId, a, { position: 3, answer: 'A 的新答案' })).toMatchObject({
      position: 3,
      answer: 'A 的新答案',
    });
    expect(await order()).toEqual([
      [b, 1],
      [c, 2],
      [a, 3],
      [d, 4],
    ]);
    expect(await remove(channelId, c)).toMatchObject({ status: 204 });
    expect(await order()).toEqual([
      [b, 1],
      [a, 2],
      [d, 3],
    ]);
    expect(await rowsOf(channelId)).toEqual([
      { id: b, position: 1 },
      { id: a, position: 2 },
      { id: d, position: 3 },
    ]);
  });

  it('an entry shows an image its admin uploaded, which visitors can then load', async () => {
    const channelId = await newChannel('Pictures');
    const imageId = await uploadPng(t, t.adminToken);
    // Before: the thumbnail is not for anyone to load.
    const thumbnail = `${t.url}/api/v1/files/${imageId}/thumbnail`;
    expect((await fetch(thumbnail)).status).toBe(401);

    const entry = await made(channelId, {
      questions: ['包装是什么样的？'],
      answer: '请看图片。',
      imageFileId: imageId,
    });
    expect(entry.image).toEqual({
      id: imageId,
      kind: 'image',
      mime: 'image/png',
      size: expect.any(Number),
      width: 8,
      height: 8,
      durationMs: null,
      name: 'dot.png',
      previewWidth: expect.any(Number),
      previewHeight: expect.any(Number),
      url: expect.stringMatching(new RegExp(`^/api/v1/files/${imageId}\\?exp=\\d+&sig=`)),
      previewUrl: expect.stringMatching(
        new RegExp(`^/api/v1/files/${imageId}/thumbnail\\?exp=\\d+&sig=`),
      ),
    });
    expect((await list(channelId))[0]!.image?.id).toBe(imageId);

    // A visitor of the channel, who neither uploaded it nor was sent it, loads both URLs.
    const visitor = await t.visitor();
    for (const url of [entry.image!.url, entry.image!.previewUrl!]) {
      const loaded = await fetch(`${t.url}${url}`, {
        headers: { authorization: `Bearer ${visitor.token}` },
      });
      expect(loaded.status, url).toBe(200);
      expect(loaded.headers.get('content-type'), url).toMatch(/^image\//);
      expect((await loaded.arrayBuffer()).byteLength, url).toBeGreaterThan(0);
    }
    // Published: the thumbnail needs no signature now, as an avatar's.
    expect((await fetch(thumbnail)).status).toBe(200);
    const row = await t.app.ctx.db
      .selectFrom('files')
      .select('published_at')
      .where('id', '=', imageId)
      .executeTakeFirstOrThrow();
    expect(row.published_at).not.toBeNull();

    // Removed again with null; another image on edit.
    expect((await edited(channelId, entry.id, { imageFileId: null })).image).toBeNull();
    const second = await uploadPng(t, t.adminToken);
    expect((await edited(channelId, entry.id, { imageFileId: second })).image?.id).toBe(second);

    // Not an image: 400 on the field. Someone else's upload: 403. No such file: 404.
    const notImage = await create(channelId, {
      questions: ['视频呢？'],
      answer: '没有。',
      imageFileId: await adminVideo(),
    });
    expect(failure(notImage)).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
      paths: ['imageFileId'],
    });
    const visitorsImage = await uploadPng(t, visitor.token);
    expect(failure(await edit(channelId, entry.id, { imageFileId: visitorsImage }))).toMatchObject({
      status: 403,
      code: 'FORBIDDEN',
    });
    expect(failure(await edit(channelId, entry.id, { imageFileId: 'no-such-file' }))).toMatchObject(
      { status: 404, code: 'NOT_FOUND' },
    );
    expect((await list(channelId)).map((e) => [e.questions[0], e.image?.id])).toEqual([
      ['包装是什么样的？', second],
    ]);
  });

  it('refuses bad input with a 400 JSON error that names the field', async () => {
    const channelId = await newChannel('Strict');
    const entry = await made(channelId, { questions: ['有效问题'], answer: '有效答案' });
    const ok = { questions: ['问题'], answer: '答案' };
    const cases: [string, unknown, string[]][] = [
      ['empty phrasing', { ...ok, questions: ['  '] }, ['questions.0']],
      ['no phrasing', { ...ok, questions: [] }, ['questions']],
      ['the same phrasing twice', { ...ok, questions: ['Refund', ' refund '] }, ['questions']],
      [
        '21 phrasings',
        { ...ok, questions: Array.from({ length: 21 }, (_, i) => `问题 ${i}`) },
        ['questions'],
      ],
      ['a 201-character phrasing', { ...ok, questions: ['问'.repeat(201)] }, ['questions.0']],
      ['a 5,001-character answer', { ...ok, answer: 'a'.repeat(5001) }, ['answer']],
      ['an empty answer', { ...ok, answer: ' \n ' }, ['answer']],
      ['an unknown field', { ...ok, priority: 1 }, ['']],
      ['a question that is not text', { ...ok, questions: [42] }, ['questions.0']],
      ['enabled as text', { ...ok, enabled: 'yes' }, ['enabled']],
    ];
    for (const [what, body, paths] of cases) {
      const answer = failure(await create(channelId, body));
      expect(answer, what).toEqual({ status: 400, code: 'VALIDATION_FAILED', paths });
      const patched = failure(await edit(channelId, entry.id, body));
      expect(patched, `PATCH: ${what}`).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    }
    // Exactly at the limits: accepted.
    await made(channelId, {
      questions: Array.from({ length: 20 }, (_, i) => `问题 ${i}`),
      answer: 'a'.repeat(5000),
    });
    for (const position of [0, -1, 1.5, '2']) {
      expect(failure(await edit(channelId, entry.id, { position })), String(position)).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
        paths: ['position'],
      });
    }
    // Bad ids in the path: too long, or with a control character.
    const long = 'x'.repeat(65);
    for (const url of [
      faqUrl(long),
      faqUrl(channelId, long),
      faqUrl(channelId, 'a%00b'),
      `${faqUrl(long)}/try`,
    ]) {
      for (const method of url.endsWith('/try') || !url.includes('/faq/')
        ? ['POST']
        : ['PATCH', 'DELETE']) {
        const answer = failure(await t.request(method, url, { token: t.adminToken, body: ok }));
        expect(answer, `${method} ${url}`).toMatchObject({
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
    }
    // A body that is not an object, and a try without text.
    expect(failure(await create(channelId, ['问题']))).toMatchObject({ status: 400 });
    const emptyTry = await t.request('POST', `${faqUrl(channelId)}/try`, {
      token: t.adminToken,
      body: { text: '   ' },
    });
    expect(failure(emptyTry)).toEqual({ status: 400, code: 'VALIDATION_FAILED', paths: ['text'] });
    // Nothing of that was written.
    expect((await list(channelId)).map((e) => e.answer)).toEqual(['有效答案', 'a'.repeat(5000)]);
  });

  it('answers 404 for an unknown channel or entry, and for another channel’s entry', async () => {
    const mine = await newChannel('Mine');
    const theirs = await newChannel('Theirs');
    const entry = await made(theirs, { questions: ['他们的问题'], answer: '他们的答案' });
    const ok = { questions: ['问题'], answer: '答案' };
    for (const [method, url, body] of [
      ['GET', faqUrl('no-such-channel'), undefined],
      ['POST', faqUrl('no-such-channel'), ok],
      ['POST', `${faqUrl('no-such-channel')}/try`, { text: '退款' }],
      ['PATCH', faqUrl('no-such-channel', entry.id), { answer: '改' }],
      ['DELETE', faqUrl('no-such-channel', entry.id), undefined],
      ['PATCH', faqUrl(mine, 'no-such-entry'), { answer: '改' }],
      ['DELETE', faqUrl(mine, 'no-such-entry'), undefined],
      // Their entry, through my channel.
      ['PATCH', faqUrl(mine, entry.id), { answer: '改' }],
      ['DELETE', faqUrl(mine, entry.id), undefined],
    ] as const) {
      const answer = await t.request(method, url, {
        token: t.adminToken,
        ...(body ? { body } : {}),
      });
      expect(failure(answer), `${method} ${url}`).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    }
    expect(await list(theirs)).toEqual([entry]);
    expect(await list(mine)).toEqual([]);
  });

  it('refuses the 1,001st entry of a channel with 409 FAQ_FULL', async () => {
    const channelId = await newChannel('Full');
    // 999 entries written directly: the limit is what is tested, not a thousand requests.
    const now = Date.now();
    const rows = Array.from({ length: 999 }, (_, i) => ({
      id: `full-${String(i).padStart(4, '0')}`,
      channel_id: channelId,
      questions: JSON.stringify([`问题 ${i}`]),
      answer: `答案 ${i}`,
      image_file_id: null,
      enabled: 1,
      position: i + 1,
      created_at: now,
      updated_at: now,
    }));
    for (let i = 0; i < rows.length; i += 200) {
      await t.app.ctx.db
        .insertInto('faq_entries')
        .values(rows.slice(i, i + 200))
        .execute();
    }
    const last = await made(channelId, { questions: ['第一千个'], answer: '刚好' });
    expect(last.position).toBe(1000);
    const full = await create(channelId, { questions: ['第一千零一个'], answer: '太多了' });
    expect(failure(full)).toEqual({ status: 409, code: 'FAQ_FULL', paths: [] });
    expect(await rowsOf(channelId)).toHaveLength(1000);
    // Room again once one goes.
    expect(await remove(channelId, 'full-0000')).toMatchObject({ status: 204 });
    expect((await made(channelId, { questions: ['又有位置了'], answer: '好' })).position).toBe(
      1000,
    );
  });

  it('two admins writing at once never pass the limit nor break the numbering', async () => {
    const channelId = await newChannel('Busy');
    const now = Date.now();
    await t.app.ctx.db
      .insertInto('faq_entries')
      .values(
        Array.from({ length: 995 }, (_, i) => ({
          id: `busy-${String(i).padStart(4, '0')}`,
          channel_id: channelId,
          questions: JSON.stringify([`问题 ${i}`]),
          answer: `答案 ${i}`,
          image_file_id: null,
          enabled: 1,
          position: i + 1,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    // Ten creates for five free places, all sent together.
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        create(channelId, { questions: [`并发 ${i}`], answer: '同时' }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([
      201, 201, 201, 201, 201, 409, 409, 409, 409, 409,
    ]);
    // Moves sent together: whatever order they land in, the list is 1..n once each.
    await Promise.all(
      [1, 500, 3, 1000, 2, 999].map((position, i) =>
        edit(channelId, `busy-${String(i * 7).padStart(4, '0')}`, { position }),
      ),
    );
    const positions = (await rowsOf(channelId)).map((r) => r.position);
    expect(positions).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  it('audits every create, change and delete', async () => {
    const channelId = await newChannel('Audited');
    const imageId = await uploadPng(t, t.adminToken);
    const entry = await made(channelId, {
      questions: ['怎么退货？', 'How to return?'],
      answer: '寄回即可。',
    });
    await made(channelId, { questions: ['第二个'], answer: '二' });
    await edited(channelId, entry.id, { questions: ['如何退货？'], imageFileId: imageId });
    await edited(channelId, entry.id, { enabled: false, position: 2 });
    // Nothing changed: nothing logged.
    await edited(channelId, entry.id, { enabled: false, answer: '寄回即可。' });
    await remove(channelId, entry.id);
    const target = { type: 'faqEntry', id: entry.id };
    expect(await auditOf(entry.id)).toEqual([
      {
        action: 'faq.create',
        target: { ...target, label: '怎么退货？' },
        changes: [
          { field: 'questions' },
          { field: 'answer' },
          { field: 'enabled', to: true },
          { field: 'position', to: 1 },
        ],
      },
      {
        action: 'faq.update',
        target: { ...target, label: '如何退货？' },
        changes: [{ field: 'questions' }, { field: 'image' }],
      },
      {
        action: 'faq.update',
        target: { ...target, label: '如何退货？' },
        changes: [
          { field: 'enabled', from: true, to: false },
          { field: 'position', from: 1, to: 2 },
        ],
      },
      { action: 'faq.delete', target: { ...target, label: '如何退货？' }, changes: [] },
    ]);
    const byAction = await t.request('GET', '/api/v1/audit?action=faq.delete', {
      token: t.adminToken,
    });
    expect(AuditListResponse.parse(byAction.body).entries.map((e) => e.target.id)).toContain(
      entry.id,
    );
  });

  it('refuses agents, and API keys without the admin scope', async () => {
    const channelId = await newChannel('Refusing');
    const entry = await made(channelId, { questions: ['问题'], answer: '答案' });
    const ok = { questions: ['代理的问题'], answer: '答案' };
    const calls = [
      ['GET', faqUrl(channelId), undefined],
      ['POST', faqUrl(channelId), ok],
      ['PATCH', faqUrl(channelId, entry.id), { answer: '代理改的' }],
      ['DELETE', faqUrl(channelId, entry.id), undefined],
      ['POST', `${faqUrl(channelId)}/try`, { text: '问题' }],
    ] as const;
    const keyFor = async (scopes: string[]) => {
      const made = await t.request('POST', '/api/v1/api-keys', {
        token: t.adminToken,
        body: { name: `faq ${scopes.join(' ')}`, scopes },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      return made.body.token as string;
    };
    const readKey = await keyFor(['conversations:read', 'conversations:write']);
    for (const [method, url, body] of calls) {
      const asAgent = await t.request(method, url, {
        token: agent.token,
        ...(body ? { body } : {}),
      });
      expect(failure(asAgent), `agent ${method} ${url}`).toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
      });
      const asKey = await t.request(method, url, { token: readKey, ...(body ? { body } : {}) });
      expect(failure(asKey), `key ${method} ${url}`).toMatchObject({
        status: 403,
        code: 'KEY_SCOPE_MISSING',
      });
      const anonymous = await t.request(method, url, body ? { body } : {});
      expect(failure(anonymous).status).toBe(401);
    }
    expect(await list(channelId)).toEqual([entry]);
    // A key with the admin scope may.
    const adminKey = await keyFor(['admin']);
    const byKey = await t.request('POST', faqUrl(channelId), { token: adminKey, body: ok });
    expect(byKey.status, JSON.stringify(byKey.body)).toBe(201);
  });

  // ---- what the robot would answer

  describe('trying the robot', () => {
    let channelId: string;
    const ids = {} as Record<'refund' | 'address' | 'shipping' | 'invoice' | 'points', string>;

    beforeAll(async () => {
      channelId = await newChannel('Robot shop');
      const entries = {
        refund: {
          questions: ['退款多久到账？', '多久能退款', 'How long does a refund take?'],
          answer: '退款会在 3 个工作日内原路退回。',
        },
        address: {
          questions: ['怎么修改收货地址？', 'How do I change my shipping address?'],
          answer: '在「我的订单」里点「修改地址」。',
        },
        shipping: {
          questions: ['运费怎么算？', 'How much does shipping cost?'],
          answer: '满 99 元包邮，否则 8 元。',
        },
        invoice: {
          questions: ['怎么开发票？', 'Can I get an invoice?'],
          answer: '在订单页点「申请发票」。',
        },
        points: {
          questions: ['会员积分怎么用？', 'How do I use member points?'],
          answer: '积分可在结算时抵扣。',
          enabled: false,
        },
      };
      for (const [key, body] of Object.entries(entries)) {
        ids[key as keyof typeof ids] = (await made(channelId, body)).id;
      }
    });

    it('answers Chinese and English phrasings that differ from the stored ones', async () => {
      for (const [text, key] of [
        ['退款要多久才能到账', 'refund'],
        ['how long does my refund take', 'refund'],
        ['收货地址怎么改', 'address'],
        ['How can I change the shipping address', 'address'],
        ['我想开发票', 'invoice'],
        ['how much is the shipping cost', 'shipping'],
      ] as const) {
        const tried = await tryText(channelId, text);
        expect(tried.outcome, text).toBe('answer');
        expect(tried.matches[0], text).toMatchObject({ source: 'faq', entryId: ids[key] });
        expect(tried.answer, text).toBe(
          (await list(channelId)).find((e) => e.id === ids[key])!.answer,
        );
        expect(tried.choices).toEqual([]);
        expect(tried.matches.length).toBeLessThanOrEqual(5);
        for (const m of tried.matches) expect(m.score).toBeGreaterThan(0);
      }
    });

    it('offers "did you mean" choices, with each entry’s first phrasing, when unsure', async () => {
      const tried = await tryText(channelId, 'shipping');
      expect(tried.outcome).toBe('choices');
      expect(tried.answer).toBeNull();
      expect(tried.choices.length).toBeGreaterThanOrEqual(2);
      expect(tried.choices.length).toBeLessThanOrEqual(3);
      expect(tried.choices).toEqual(
        expect.arrayContaining([
          { entryId: ids.address, question: '怎么修改收货地址？' },
          { entryId: ids.shipping, question: '运费怎么算？' },
        ]),
      );
      // Best first.
      const scores = tried.matches.map((m) => m.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    });

    it('hands over for 转人工, for "talk to a person", and for nonsense', async () => {
      for (const text of ['转人工', '我要退款，转人工', 'I want to talk to a person', '人工客服']) {
        const tried = await tryText(channelId, text);
        expect(tried, text).toMatchObject({ outcome: 'handoff', answer: null, choices: [] });
      }
      for (const text of [
        'asdfgh qwerty zxcv',
        '你们老板叫什么名字',
        'What is the weather like on Mars?',
      ]) {
        const tried = await tryText(channelId, text);
        expect(tried, text).toMatchObject({ outcome: 'handoff', answer: null, choices: [] });
      }
    });

    it('ignores disabled entries, and sees a change at once', async () => {
      const text = '会员积分怎么用？';
      // Asked once, so the channel's index is held in memory: what follows must not be stale.
      const before = await tryText(channelId, text);
      expect(before.matches.map((m) => m.entryId)).not.toContain(ids.points);
      expect(before.outcome).not.toBe('answer');

      await edited(channelId, ids.points, { enabled: true });
      const enabled = await tryText(channelId, text);
      expect(enabled).toMatchObject({ outcome: 'answer', answer: '积分可在结算时抵扣。' });
      expect(enabled.matches[0]).toMatchObject({ entryId: ids.points, score: 1 });

      await edited(channelId, ids.points, { answer: '积分 100 抵 1 元。' });
      expect((await tryText(channelId, text)).answer).toBe('积分 100 抵 1 元。');

      await edited(channelId, ids.points, { questions: ['积分能换什么？'] });
      expect((await tryText(channelId, '积分能换什么？')).matches[0]).toMatchObject({
        entryId: ids.points,
        question: '积分能换什么？',
      });

      const added = await made(channelId, { questions: ['可以货到付款吗？'], answer: '可以。' });
      expect(await tryText(channelId, '可以货到付款吗？')).toMatchObject({
        outcome: 'answer',
        answer: '可以。',
      });
      await remove(channelId, added.id);
      const gone = await tryText(channelId, '可以货到付款吗？');
      expect(gone.matches.map((m) => m.entryId)).not.toContain(added.id);

      await edited(channelId, ids.points, { enabled: false });
      const disabled = await tryText(channelId, '积分能换什么？');
      expect(disabled.matches.map((m) => m.entryId)).not.toContain(ids.points);
    });

    it('answers with a shared saved reply marked for the robot, matched by its title', async () => {
      const createReply = (body: Record<string, unknown>, token = t.adminToken) =>
        t.request('POST', '/api/v1/saved-replies', { token, body });
      const hours = await createReply({
        scope: 'shared',
        shortcut: 'hours',
        title: '你们几点营业？',
        text: '我们每天 9:00–21:00 在线。',
      });
      expect(hours.status).toBe(201);
      const reply = SavedReplyResponse.parse(hours.body).savedReply;
      expect(reply.robotAnswer).toBe(false);
      // Not marked: the robot does not know it.
      expect(
        (await tryText(channelId, '你们几点营业')).matches.map((m) => m.entryId),
      ).not.toContain(reply.id);

      const marked = await t.request('PATCH', `/api/v1/saved-replies/${reply.id}`, {
        token: t.adminToken,
        body: { robotAnswer: true },
      });
      expect(marked.status, JSON.stringify(marked.body)).toBe(200);
      expect(SavedReplyResponse.parse(marked.body).savedReply.robotAnswer).toBe(true);
      const answered = await tryText(channelId, '你们几点营业');
      expect(answered).toMatchObject({ outcome: 'answer', answer: '我们每天 9:00–21:00 在线。' });
      expect(answered.matches[0]).toMatchObject({
        source: 'savedReply',
        entryId: reply.id,
        question: '你们几点营业？',
      });
      // Every channel's robot knows it.
      const elsewhere = await newChannel('Elsewhere');
      expect((await tryText(elsewhere, '你们几点营业')).answer).toBe('我们每天 9:00–21:00 在线。');

      // A new text is seen at once; unmarked, it is gone at once.
      await t.request('PATCH', `/api/v1/saved-replies/${reply.id}`, {
        token: t.adminToken,
        body: { text: '每天 8:00 到 22:00。' },
      });
      expect((await tryText(channelId, '你们几点营业')).answer).toBe('每天 8:00 到 22:00。');
      await t.request('PATCH', `/api/v1/saved-replies/${reply.id}`, {
        token: t.adminToken,
        body: { robotAnswer: false },
      });
      expect(
        (await tryText(channelId, '你们几点营业')).matches.map((m) => m.entryId),
      ).not.toContain(reply.id);

      // Created marked, then deleted: known, then gone.
      const direct = await createReply({
        scope: 'shared',
        shortcut: 'cod',
        title: '支持货到付款吗？',
        text: '支持。',
        robotAnswer: true,
      });
      expect(direct.status).toBe(201);
      const directId = SavedReplyResponse.parse(direct.body).savedReply.id;
      expect((await tryText(channelId, '支持货到付款吗')).matches[0]?.entryId).toBe(directId);
      expect(
        (await t.request('DELETE', `/api/v1/saved-replies/${directId}`, { token: t.adminToken }))
          .status,
      ).toBe(204);
      expect(
        (await tryText(channelId, '支持货到付款吗')).matches.map((m) => m.entryId),
      ).not.toContain(directId);

      // Audited like the reply's other fields.
      expect((await auditOf(reply.id)).map((e) => [e.action, e.changes])).toEqual([
        [
          'savedReply.create',
          [
            { field: 'shortcut', to: 'hours' },
            { field: 'title', to: '你们几点营业？' },
            { field: 'text' },
          ],
        ],
        ['savedReply.update', [{ field: 'robotAnswer', from: false, to: true }]],
        ['savedReply.update', [{ field: 'text' }]],
        ['savedReply.update', [{ field: 'robotAnswer', from: true, to: false }]],
      ]);
      expect((await auditOf(directId)).map((e) => [e.action, e.changes])).toEqual([
        [
          'savedReply.create',
          [
            { field: 'shortcut', to: 'cod' },
            { field: 'title', to: '支持货到付款吗？' },
            { field: 'text' },
            { field: 'robotAnswer', to: true },
          ],
        ],
        ['savedReply.delete', []],
      ]);
    });

    it('keeps robotAnswer to shared replies', async () => {
      const personal = await t.request('POST', '/api/v1/saved-replies', {
        token: agent.token,
        body: { shortcut: 'mine', title: '我的', text: '我的回复', robotAnswer: true },
      });
      expect(failure(personal)).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
        paths: ['robotAnswer'],
      });
      const made = await t.request('POST', '/api/v1/saved-replies', {
        token: agent.token,
        body: { shortcut: 'mine', title: '我的', text: '我的回复', robotAnswer: false },
      });
      expect(made.status).toBe(201);
      const id = SavedReplyResponse.parse(made.body).savedReply.id;
      const marked = await t.request('PATCH', `/api/v1/saved-replies/${id}`, {
        token: agent.token,
        body: { robotAnswer: true },
      });
      expect(failure(marked)).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
        paths: ['robotAnswer'],
      });
      // An agent cannot make a shared one either (as before: shared replies are admins').
      const shared = await t.request('POST', '/api/v1/saved-replies', {
        token: agent.token,
        body: {
          scope: 'shared',
          shortcut: 'ours',
          title: '我们的',
          text: '回复',
          robotAnswer: true,
        },
      });
      expect(failure(shared)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      const row = await t.app.ctx.db
        .selectFrom('saved_replies')
        .select('robot_answer')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row.robot_answer).toBe(0);
    });
  });

  // ---- the channel's robot settings

  describe('channel robot settings', () => {
    const defaults = {
      mode: 'off',
      name: '',
      avatarUrl: null,
      greeting: {
        'zh-CN': '您好，我是智能助手，可以回答常见问题。需要人工服务时，请点「转人工」。',
        en: "Hi, I'm the assistant and can answer common questions. Choose “Talk to a person” any time.",
      },
      answerEveryMessage: true,
      instruction: '',
    };
    const channelOf = async (id: string) =>
      ChannelResponse.parse(
        (await t.request('GET', `/api/v1/channels/${id}`, { token: t.adminToken })).body,
      ).channel;
    const patch = (id: string, robot: unknown) =>
      t.request('PATCH', `/api/v1/channels/${id}`, { token: t.adminToken, body: { robot } });

    it('a new channel’s robot is off with the defaults', async () => {
      const id = await newChannel('Plain');
      expect((await channelOf(id)).robot).toEqual(defaults);
    });

    it('round-trips through create and update, and each change is audited', async () => {
      const avatar = await uploadPng(t, t.adminToken);
      const created = await t.request('POST', '/api/v1/channels', {
        token: t.adminToken,
        body: {
          name: 'Robotic',
          robot: {
            mode: 'first',
            name: '  小\n助手 ',
            avatarFileId: avatar,
            greeting: '你好！',
            answerEveryMessage: false,
            instruction: '  回答要简短。 ',
          },
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const channel = ChannelResponse.parse(created.body).channel;
      expect(channel.robot).toEqual({
        mode: 'first',
        name: '小 助手',
        avatarUrl: `/api/v1/files/${avatar}/thumbnail`,
        greeting: { 'zh-CN': '你好！', en: '你好！' },
        answerEveryMessage: false,
        instruction: '回答要简短。',
      });
      // The avatar is published: anyone loads it, as an agent's avatar.
      expect((await fetch(`${t.url}${channel.robot.avatarUrl}`)).status).toBe(200);
      expect((await channelOf(channel.id)).robot).toEqual(channel.robot);

      // One language of the greeting; the other fields stay.
      const greeted = await patch(channel.id, { greeting: { en: 'Hello!' } });
      expect(greeted.status, JSON.stringify(greeted.body)).toBe(200);
      expect(ChannelResponse.parse(greeted.body).channel.robot).toEqual({
        ...channel.robot,
        greeting: { 'zh-CN': '你好！', en: 'Hello!' },
      });
      const changed = await patch(channel.id, {
        mode: 'offHours',
        name: '',
        avatarFileId: null,
        answerEveryMessage: true,
        instruction: '',
      });
      expect(changed.status, JSON.stringify(changed.body)).toBe(200);
      const after = {
        mode: 'offHours',
        name: '',
        avatarUrl: null,
        greeting: { 'zh-CN': '你好！', en: 'Hello!' },
        answerEveryMessage: true,
        instruction: '',
      };
      expect(ChannelResponse.parse(changed.body).channel.robot).toEqual(after);
      expect((await channelOf(channel.id)).robot).toEqual(after);
      // The same again: nothing to log.
      expect((await patch(channel.id, { mode: 'offHours' })).status).toBe(200);

      const target = { type: 'channel', id: channel.id, label: 'Robotic' };
      expect(await auditOf(channel.id)).toEqual([
        {
          action: 'channel.create',
          target,
          changes: [
            { field: 'name', to: 'Robotic' },
            { field: 'allowedOrigins', to: [] },
            { field: 'robotMode', to: 'first' },
            { field: 'robotName', to: '小 助手' },
            { field: 'robotAvatar' },
            { field: 'robotGreeting' },
            { field: 'robotAnswerEveryMessage', to: false },
            { field: 'robotInstruction' },
          ],
        },
        { action: 'channel.update', target, changes: [{ field: 'robotGreeting' }] },
        {
          action: 'channel.update',
          target,
          changes: [
            { field: 'robotMode', from: 'first', to: 'offHours' },
            { field: 'robotName', from: '小 助手', to: '' },
            { field: 'robotAvatar' },
            { field: 'robotAnswerEveryMessage', from: false, to: true },
            { field: 'robotInstruction' },
          ],
        },
      ]);
    });

    it('refuses a bad mode, a 33-character name, a non-image avatar and unknown fields', async () => {
      const id = await newChannel('Validated');
      const cases: [string, unknown, string][] = [
        ['a bad mode', { mode: 'always' }, 'robot.mode'],
        ['a 33-character name', { name: 'n'.repeat(33) }, 'robot.name'],
        ['a 2,001-character instruction', { instruction: 'i'.repeat(2001) }, 'robot.instruction'],
        ['an unknown field', { voice: 'deep' }, 'robot'],
        ['a greeting in another language', { greeting: { fr: 'Salut' } }, 'robot.greeting'],
        ['answerEveryMessage as text', { answerEveryMessage: 'yes' }, 'robot.answerEveryMessage'],
      ];
      for (const [what, robot, field] of cases) {
        const answer = failure(await patch(id, robot));
        expect(answer, what).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
        expect(
          answer.paths.some((p) => p.startsWith(field)),
          `${what}: ${answer.paths}`,
        ).toBe(true);
        const created = failure(
          await t.request('POST', '/api/v1/channels', {
            token: t.adminToken,
            body: { name: 'Never made', robot },
          }),
        );
        expect(created, `create: ${what}`).toMatchObject({
          status: 400,
          code: 'VALIDATION_FAILED',
        });
      }
      // Exactly 32 characters: fine.
      expect((await patch(id, { name: 'n'.repeat(32) })).status).toBe(200);

      const notImage = failure(await patch(id, { avatarFileId: await adminVideo() }));
      expect(notImage).toEqual({
        status: 400,
        code: 'VALIDATION_FAILED',
        paths: ['robot.avatarFileId'],
      });
      const visitor = await t.visitor();
      const visitorsImage = await uploadPng(t, visitor.token);
      expect(failure(await patch(id, { avatarFileId: visitorsImage }))).toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
      });
      expect(failure(await patch(id, { avatarFileId: 'no-such-file' }))).toMatchObject({
        status: 404,
        code: 'NOT_FOUND',
      });
      // An agent changes no robot.
      const byAgent = await t.request('PATCH', `/api/v1/channels/${id}`, {
        token: agent.token,
        body: { robot: { mode: 'first' } },
      });
      expect(failure(byAgent)).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect((await channelOf(id)).robot).toEqual({ ...defaults, name: 'n'.repeat(32) });
      expect(
        await t.app.ctx.db
          .selectFrom('channels')
          .select('id')
          .where('name', '=', 'Never made')
          .execute(),
      ).toEqual([]);
    });
  });
});
