import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SignJWT } from 'jose';
import { doCreateAccount } from '../domain/accounts/createAccount.js';
import type { DomainContext } from '../domain/context.js';

/** The demo's agents: log in to the console as any of them. */
export const demoAgents = [
  { username: 'xiaomei', displayName: '小美' },
  { username: 'aqiang', displayName: '阿强' },
  { username: 'lily', displayName: 'Lily' },
] as const;

/** The demo shop's FAQ, in both languages, for its robot (off until an admin turns it on on
 * the Robot page, where "Try it" works at once). */
export const demoFaq = [
  {
    questions: [
      '怎么申请退款',
      '退款多久到账',
      'How do I get a refund?',
      'When will my refund arrive?',
    ],
    answer:
      '在「我的订单」里找到该订单，点「申请退款」即可。审核通过后 1–3 个工作日原路退回。\nOpen the order in My orders and tap Request refund; it is back on your card 1–3 working days after approval.',
  },
  {
    questions: [
      '什么时候发货',
      '订单多久能到',
      'When will my order ship?',
      'How long is delivery?',
    ],
    answer:
      '下单后 24 小时内发货，国内一般 2–4 天送达。\nOrders ship within 24 hours and usually arrive in 2–4 days.',
  },
  {
    questions: ['运费怎么算', '包邮吗', 'How much is shipping?', 'Is shipping free?'],
    answer: '订单满 99 元包邮，不满收 8 元运费。\nShipping is free from ¥99; below that it is ¥8.',
  },
  {
    questions: ['怎么开发票', '可以开专票吗', 'Can I get an invoice?'],
    answer:
      '在订单详情页点「申请发票」，电子发票会发到您的邮箱。\nTap Request invoice on the order page; the e-invoice is mailed to you.',
  },
  {
    questions: ['忘记密码怎么办', '怎么重置密码', 'How do I reset my password?'],
    answer:
      '在登录页点「忘记密码」，按短信验证码重置。\nTap Forgot password on the sign-in page and follow the text message.',
  },
] as const;

/** The seed project's nine test users, as the host app's signed-in users. */
export const demoVisitors = [
  '王小二',
  '海底月捞不起',
  '谒词笙歌拟墨画扇',
  '巷子小仙女',
  '乐曲',
  '水乳交融',
  '敷诋',
  '十六鹤井',
  '梦清云凉泽',
] as const;

export interface DemoInfo {
  channelId: string;
  channelName: string;
  /** The agents' passwords, kept in DATA_DIR/demo-accounts.txt so every start can print them. */
  agents: { username: string; displayName: string; password: string }[];
}

const accountsFile = (dataDir: string) => path.join(dataDir, 'demo-accounts.txt');

async function readPasswords(dataDir: string): Promise<Map<string, string>> {
  try {
    const text = await fs.readFile(accountsFile(dataDir), 'utf8');
    return new Map(
      text
        .split('\n')
        .map((line) => /^(\S+)\s+(\S+)$/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
  } catch {
    return new Map();
  }
}

/**
 * Demo mode's data, made on its first start and found again on later ones: the first channel
 * named "Demo shop" and open to the demo page, and three agents. Only `npm run demo` calls this,
 * on its own data directory.
 */
export async function seedDemo(ctx: DomainContext, dataDir: string): Promise<DemoInfo> {
  const passwords = await readPasswords(dataDir);
  const info = await ctx.transaction(
    async (trx) => {
      const channel = await trx
        .selectFrom('channels')
        .select(['id', 'name'])
        .orderBy('created_at')
        .executeTakeFirstOrThrow();
      if (channel.name === 'Default') {
        await trx
          .updateTable('channels')
          .set({ name: 'Demo shop' })
          .where('id', '=', channel.id)
          .execute();
        channel.name = 'Demo shop';
      }
      const anyEntry = await trx
        .selectFrom('faq_entries')
        .select('id')
        .where('channel_id', '=', channel.id)
        .executeTakeFirst();
      if (!anyEntry) {
        const now = ctx.now();
        await trx
          .insertInto('faq_entries')
          .values(
            demoFaq.map((entry, index) => ({
              id: randomUUID(),
              channel_id: channel.id,
              questions: JSON.stringify(entry.questions),
              answer: entry.answer,
              image_file_id: null,
              enabled: 1,
              position: index + 1,
              created_at: now,
              updated_at: now,
            })),
          )
          .execute();
      }
      const agents: DemoInfo['agents'] = [];
      for (const agent of demoAgents) {
        const existing = await trx
          .selectFrom('accounts')
          .select('id')
          .where('username', '=', agent.username)
          .executeTakeFirst();
        if (!existing) {
          const created = await doCreateAccount(
            ctx,
            { username: agent.username, displayName: agent.displayName, role: 'agent' },
            'setup',
            trx,
          );
          passwords.set(agent.username, created.password ?? '');
        }
        agents.push({ ...agent, password: passwords.get(agent.username) ?? '(changed)' });
      }
      return { channelId: channel.id, channelName: channel.name, agents };
    },
    { lock: 'bootstrap' },
  );
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(
    accountsFile(dataDir),
    info.agents.map((a) => `${a.username} ${a.password}`).join('\n') + '\n',
    { mode: 0o600 },
  );
  return info;
}

/** An identity token for demo user `index`, as a host app's backend would sign it. */
export async function demoIdentity(
  secret: string,
  index: number,
  avatarUrl: string,
  now: number,
): Promise<string> {
  return new SignJWT({
    name: demoVisitors[index],
    avatar: avatarUrl,
    attributes: { demo: true, plan: index % 3 === 0 ? 'VIP' : 'free' },
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`demo-user-${index + 1}`)
    .setExpirationTime(Math.floor(now / 1000) + 24 * 60 * 60)
    .sign(new TextEncoder().encode(secret));
}

const palette = [
  '#1f6feb',
  '#d9480f',
  '#2f9e44',
  '#ae3ec9',
  '#e8590c',
  '#0c8599',
  '#c2255c',
  '#5f3dc4',
  '#3b5bdb',
];

/** A round avatar with the user's first character, as SVG. */
export function demoAvatar(index: number): string {
  const name = demoVisitors[index] ?? '?';
  const initial = Array.from(name)[0] ?? '?';
  const color = palette[index % palette.length]!;
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">',
    `<rect width="96" height="96" rx="48" fill="${color}"/>`,
    '<text x="48" y="50" fill="#fff" font-size="44" text-anchor="middle" dominant-baseline="central"',
    ' font-family="Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif">',
    initial,
    '</text></svg>',
  ].join('');
}
