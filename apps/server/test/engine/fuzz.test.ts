import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import type { Kysely } from 'kysely';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckError, ClientEvent, ErrorBody, ErrorCode } from '@servicesystem/protocol';
import { httpStatusOf } from '../../src/http/errors.js';
import { request, smallPng, startLiveApp, uploadPng, type LiveApp } from '../support/liveApp.js';

/**
 * Property-based fuzzing of every REST route and every client → server socket event: generated
 * and mutated bodies, query strings, path parameters, headers and socket payloads (wrong types,
 * huge strings, deep nesting, `__proto__`/`constructor`/`prototype` keys, lone surrogates, RTL
 * marks, NUL, emoji, combining marks, odd numbers, arrays for objects, valid payloads with a
 * field dropped, retyped or added). For every case: no 5xx, a JSON error body with a known code
 * and its status for every 4xx, an `{ok: false, error: {code}}` ack for every refused socket
 * event; after every batch: the server is healthy, rejected input changed nothing in the
 * database, and every new message is one the server said it accepted.
 *
 * Reproducible: the seed is fixed (below) unless FUZZ_SEED is set. A failure prints
 * `{ seed, path }` and the shrunk counterexample; replay it with
 *
 *   FUZZ_SEED=<seed> npx vitest run --project server-sqlite apps/server/test/engine/fuzz.test.ts -t '<test name>'
 *
 * (or --project server-postgres). FUZZ_SCALE multiplies the number of cases (default 1).
 */
const seed = process.env.FUZZ_SEED === undefined ? 20_260_611 : Number(process.env.FUZZ_SEED);
const scale = Number(process.env.FUZZ_SCALE ?? 1);
const runsOf = (n: number) => Math.max(1, Math.round(n * scale));
const knownCodes = new Set<string>(Object.values(ErrorCode));

interface Answered {
  route: string;
  url: string;
  status: number;
  body: string;
}

// ---------------------------------------------------------------------------------------------
// Generators

/** Any UTF-16 code unit, lone surrogates and NUL included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));

const edgeStrings = [
  '',
  ' ',
  '\t\n\r',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDC00y',
  '\uDBFF\uDFFF',
  '\u202Eevil\u202C',
  '\u200F\u200E\u061C',
  '\uFEFF',
  '\u00A0',
  '\u2028\u2029',
  '\u0085',
  '👍🏽',
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  'e\u0301\u0302\u0303\u0304\u0305',
  'Z\u0336\u0337\u0338\u20DD',
  'ﷺ',
  '𝕏',
  'İı',
  'ß',
  '%00',
  '%',
  '%zz',
  '../../etc/passwd',
  '..\\..\\boot.ini',
  '/',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  '"; DROP TABLE accounts; --',
  '${7*7}{{7*7}}',
  'null',
  'undefined',
  'true',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  '0x1F',
  '9007199254740993',
  '-1',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'UTC',
  'asia/shanghai',
  'Etc/GMT+14',
  '+05:30',
  `sst_${'A'.repeat(43)}`,
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(5001),
  'é'.repeat(2001),
];

const hugeString = fc
  .tuple(
    fc.constantFrom('x', ' ', 'é', '👍', '\u0000', '\uD800', '\u0301', '\u202E'),
    fc.integer({ min: 60, max: 60_000 }),
  )
  .map(([unit, n]) => unit.repeat(n));

const controlCharacters = fc.constantFrom(
  '\u0000',
  'a\u0000',
  '\u0001',
  '\u0008',
  '\u001B[31m',
  '\u001F',
  '\u007F',
  '\u009F',
);

const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...edgeStrings) },
  { weight: 2, arbitrary: controlCharacters },
  { weight: 3, arbitrary: fc.string({ unit: codeUnit, maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: hugeString },
);

const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    -1.5,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e21,
    1e308,
    -1e308,
    Number.MIN_VALUE,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ),
  fc.integer(),
  fc.double(),
  fc.maxSafeInteger(),
);

const anyKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'valueOf',
    'hasOwnProperty',
    'isAdmin',
    'role',
    'id',
    '',
    ' ',
    '\u0000',
    '$where',
    'then',
  ),
  nastyString.map((s) => s.slice(0, 100)),
);

const { value: anyValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 4 },
    nastyString,
    nastyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(anyKey, tie('value'), { maxKeys: 4 }),
  ),
}));

/** Labels a big value for fast-check's reports, which would otherwise print all of it. */
function labelled<T extends object>(value: T, label: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => label });
  return value;
}
function nestedObjects(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = { a: value };
  return labelled(value as object, `nestedObjects(${depth})`);
}
function nestedArrays(depth: number): unknown {
  let value: unknown = 'deep';
  for (let i = 0; i < depth; i++) value = [value];
  return labelled(value as object, `nestedArrays(${depth})`);
}

/** Shapes no schema expects: very deep, very long, or not an object at all. */
const oddShape: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 50, max: 4000 }).map(nestedObjects),
  fc.integer({ min: 50, max: 4000 }).map(nestedArrays),
  fc
    .integer({ min: 1000, max: 100_000 })
    .map((n) => labelled(new Array<number>(n).fill(0), `new Array(${n}).fill(0)`)),
  fc.constantFrom<unknown>(null, 0, -1, '', 'a string', true, [], {}),
);

type Obj = Record<string, unknown>;

/** A copy of `o` with an own, enumerable `key` (even `__proto__`), as JSON.parse makes it. */
function withOwn(o: Obj, key: string, value: unknown): Obj {
  const copy: Obj = { ...o };
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy;
}

function retype(value: unknown, to: string): unknown {
  switch (to) {
    case 'string':
      return typeof value === 'string' ? `${value}x` : (JSON.stringify(value) ?? 'undefined');
    case 'number':
      return typeof value === 'number'
        ? -value - 0.5
        : typeof value === 'string'
          ? Number(value)
          : 7;
    case 'array':
      return [value];
    case 'object':
      return { value };
    case 'boolean':
      return !value;
    default:
      return null;
  }
}

function splice(text: string, at: number, inserted: string): string {
  const index = at % (text.length + 1);
  return text.slice(0, index) + inserted + text.slice(index);
}

type Mutation = (o: Obj) => Obj;
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Drop a field.
  fc.nat().map((i): Mutation => (o) => {
    const keys = Object.keys(o);
    if (keys.length === 0) return o;
    const copy = { ...o };
    delete copy[keys[i % keys.length]!];
    return copy;
  }),
  // Change a field's type.
  fc
    .tuple(fc.nat(), fc.constantFrom('string', 'number', 'array', 'object', 'boolean', 'null'))
    .map(([i, to]): Mutation => (o) => {
      const keys = Object.keys(o);
      if (keys.length === 0) return o;
      const key = keys[i % keys.length]!;
      return withOwn(o, key, retype(o[key], to));
    }),
  // Replace a field's value with anything.
  fc.tuple(fc.nat(), fc.oneof(anyValue, oddShape)).map(([i, value]): Mutation => (o) => {
    const keys = Object.keys(o);
    return keys.length === 0 ? withOwn(o, 'x', value) : withOwn(o, keys[i % keys.length]!, value);
  }),
  // Add a field.
  fc.tuple(anyKey, anyValue).map(
    ([key, value]): Mutation =>
      (o) =>
        withOwn(o, key, value),
  ),
);

function mutated(valid: fc.Arbitrary<Obj>): fc.Arbitrary<Obj> {
  return fc
    .tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([base, ops]) => ops.reduce((o, op) => op(o), base));
}

/** A valid payload with a control character (NUL...) or an odd one inside a string field. */
function spliced(valid: fc.Arbitrary<Obj>): fc.Arbitrary<Obj> {
  return fc
    .tuple(valid, fc.nat(), fc.nat(), fc.oneof(controlCharacters, fc.constantFrom(...edgeStrings)))
    .map(([o, i, at, inserted]) => {
      const keys = Object.keys(o).filter((key) => typeof o[key] === 'string');
      if (keys.length === 0) return o;
      const key = keys[i % keys.length]!;
      return withOwn(o, key, splice(o[key] as string, at, inserted));
    });
}

/** Payloads around a valid one: itself, mutated, anything, odd shapes, in an array. */
function payloadAround(valid: fc.Arbitrary<Obj> | undefined): fc.Arbitrary<unknown> {
  if (valid === undefined) return fc.oneof(anyValue, oddShape, mutated(fc.constant({})));
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    { weight: 8, arbitrary: mutated(valid) },
    { weight: 2, arbitrary: spliced(valid) },
    { weight: 2, arbitrary: anyValue },
    { weight: 1, arbitrary: oddShape },
    { weight: 1, arbitrary: fc.array(valid, { minLength: 1, maxLength: 2 }) },
  );
}

const rawJsonJunk = fc.constantFrom(
  '{',
  '{"a":',
  'nul',
  '[1,]',
  '{"a":1}}',
  '\uFEFF{}',
  "{'a':1}",
  '{"a":NaN}',
  '{"a":1e999}',
  '{"a":-}',
  '""',
  '"\\ud800"',
  '{"a":"\\u0000"}',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"a":{"__proto__":{"isAdmin":true}}}',
  '{"a":1,"a":2}',
  ' ',
  '\u0000',
  '0',
  '[]',
  'true',
);

/** A JSON text with an own `__proto__` or `constructor` key in front of a valid body. */
function poisoned(valid: fc.Arbitrary<Obj>): fc.Arbitrary<string> {
  return fc
    .tuple(valid, fc.constantFrom('__proto__', 'constructor', 'prototype'))
    .map(([body, key]) => {
      const rest = JSON.stringify(body).slice(1, -1);
      return `{"${key}":{"isAdmin":true,"prototype":{"polluted":1}}${rest ? `,${rest}` : ''}}`;
    });
}

function bodyText(valid: fc.Arbitrary<Obj> | undefined): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 12, arbitrary: payloadAround(valid).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: rawJsonJunk },
    { weight: 1, arbitrary: poisoned(valid ?? fc.constant({})) },
    { weight: 1, arbitrary: nastyString },
  );
}

const contentType = fc.oneof(
  { weight: 14, arbitrary: fc.constant<string | undefined>('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<string | undefined>(
      undefined,
      'application/json; charset=utf-8',
      'application/json; charset=utf-16le',
      'APPLICATION/JSON',
      'application/json;',
      'application/jsonp',
      'application/vnd.api+json',
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'multipart/form-data; boundary=----x',
      'application/octet-stream',
      '',
      '*/*',
      ';',
      'application/json, text/plain',
    ),
  },
);

/** Percent-encodes any string; a lone surrogate becomes bytes that are not UTF-8 at all. */
function encodePart(s: string): string {
  let out = '';
  for (const ch of s) {
    const unit = ch.charCodeAt(0);
    out +=
      ch.length === 1 && unit >= 0xd800 && unit <= 0xdfff ? '%ED%A0%80' : encodeURIComponent(ch);
  }
  return out;
}

function queryString(q: unknown): string {
  if (typeof q !== 'object' || q === null || Array.isArray(q)) {
    return q === undefined ? '' : `?${encodePart(JSON.stringify(q) ?? 'undefined')}`;
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(q)) {
    // An array is the key repeated, as query strings carry lists.
    for (const one of Array.isArray(value) ? value : [value]) {
      const text = typeof one === 'string' ? one : (JSON.stringify(one) ?? 'undefined');
      parts.push(`${encodePart(key)}=${encodePart(text)}`);
    }
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

function queryAround(valid: fc.Arbitrary<Obj> | undefined): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: (valid ?? fc.constant({})).map(queryString) },
    { weight: 6, arbitrary: payloadAround(valid ?? fc.constant({})).map(queryString) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '?',
        '?&&',
        '?=',
        '?a',
        '?%',
        '?%zz=1',
        '?limit[]=1',
        '?__proto__[isAdmin]=1',
        '?__proto__=1',
        '?constructor=1&constructor=2',
        '?limit=1&limit=2',
        '?a=%00',
        `?${'a=1&'.repeat(2000)}`,
      ),
    },
  );
}

function segment(ids: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ids) },
    { weight: 3, arbitrary: nastyString.map((s) => encodePart(s.slice(0, 300))) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...ids), fc.nat(), nastyString)
        .map(([id, at, nasty]) => encodePart(splice(id, at, nasty.slice(0, 50)))),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%',
        '%zz',
        '%ED%A0%80',
        '%00',
        'a%00b',
        '%2F',
        '..',
        '.',
        '%2e%2e',
        '%C0%AF',
        '%FF',
        '%E2%80%AE',
      ),
    },
  );
}

/** What can travel in an HTTP header: tab, visible ASCII, and Latin-1. */
const headerSafe = (s: string) =>
  [...s]
    .filter((c) => {
      const code = c.charCodeAt(0);
      return c.length === 1 && (code === 9 || (code >= 0x20 && code !== 0x7f && code <= 0xff));
    })
    .join('')
    .slice(0, 2000);

const junkAuthorization = fc.oneof(
  fc.constantFrom(
    '',
    'Bearer',
    'Bearer ',
    'bearer sst_',
    'Basic YWRtaW46YWRtaW4=',
    'Bearer a b',
    `Bearer sst_${'A'.repeat(43)}`,
    `Bearer sst_${'\u00ff'.repeat(43)}`,
    'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    'Bearer null',
    'Bearer ssk_',
    `Bearer ssk_00000000-0000-7000-8000-000000000000_${'A'.repeat(43)}`,
    `Bearer ssk_${'\u00ff'.repeat(80)}`,
  ),
  nastyString.map(headerSafe),
  nastyString.map((s) => `Bearer ${headerSafe(s)}`),
);

const junkCookie = fc.oneof(
  fc.constantFrom(
    'ss_session=garbage',
    `ss_session=sst_${'A'.repeat(43)}`,
    'ss_session=%00',
    'ss_session=; ss_session=x',
    'ss_session',
    '=',
  ),
  nastyString.map((s) => `ss_session=${headerSafe(s)}`),
);

const origin = fc.constantFrom(
  'https://evil.example',
  'null',
  'http://localhost',
  'http://127.0.0.1',
  'file://',
  '\u00ff',
);

// ---------------------------------------------------------------------------------------------
// What each route and event is fuzzed with

interface Fixtures {
  A: { id: string; token: string };
  X: { id: string; token: string };
  D: { id: string; token: string };
  adminId: string;
  adminToken: string;
  CA: string;
  CE: string;
  channelId: string;
  channelSecret: string;
  fuzzChannelId: string;
  doomedChannelId: string;
  victimId: string;
  fileId: string;
  fileQuery: { exp: number; sig: string };
  png: Buffer;
  login: { username: string; password: string };
  passwordChanger: { token: string; password: string };
  logoutToken: string;
  /** X's personal reply, a shared one, and a shared one the fuzzed DELETE may remove. */
  personalReplyId: string;
  sharedReplyId: string;
  doomedReplyId: string;
  labelId: string;
  doomedLabelId: string;
  /** A visitor without conversations, for the fuzzed erase. */
  doomedVisitorId: string;
  /** An API key the fuzzed PATCH changes, and one the fuzzed DELETE may revoke. */
  apiKeyId: string;
  doomedApiKeyId: string;
  /** A disabled webhook (so no other route's call writes deliveries), and one DELETE may remove. */
  webhookId: string;
  doomedWebhookId: string;
  /** FAQ entries of the fuzzed channel: one the PATCH changes, one DELETE may remove; and an
   * image the admin uploaded, which an entry may show. */
  faqEntryId: string;
  doomedFaqEntryId: string;
  adminImageId: string;
}

interface RouteFuzz {
  /** The caller whose token most cases carry. */
  as: string | undefined;
  /** Known good and bad values for `:id` (and for `*`, paths). */
  ids?: string[];
  /** The value of `:labelId`. */
  labelId?: string;
  /** The value of `:entryId`. */
  entryId?: string;
  body?: fc.Arbitrary<Obj>;
  query?: fc.Arbitrary<Obj>;
  /** Other headers to fuzz. */
  headers?: fc.Arbitrary<Record<string, string>>;
  /** A body that is not JSON (uploads). */
  raw?: fc.Arbitrary<{ contentType: string | undefined; payload: Buffer | string }>;
  /** Tables an accepted call may change. Anything else must stay as it was. */
  writes?: string[];
  /** Other callers may be tried (not on logout: it would end their session). */
  otherCallers?: false;
  runs?: number;
}

const clientMsgId = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const messageText = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
  nastyString.map((s) => `m${s.slice(0, 4000)}`),
);
const labelBody = fc.record(
  {
    name: fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((v) => `L${v}`),
      nastyString,
    ),
    color: fc.oneof(
      fc.constantFrom('#1f6feb', '#ABCDEF', 'red', '#12345', '#1234567', ''),
      nastyString,
    ),
  },
  { requiredKeys: [] },
);
/** A webhook body; always disabled, so the endpoints it makes record nothing for other routes. */
const webhookBody = fc.record(
  {
    url: fc.oneof(
      fc.constantFrom(
        'https://93.184.215.14/hook',
        'http://127.0.0.1/x',
        'http://[::1]/x',
        'ftp://93.184.215.14/x',
        `https://93.184.215.14/${'a'.repeat(2100)}`,
        '',
      ),
      nastyString,
    ),
    description: fc.oneof(fc.string({ maxLength: 250 }), nastyString),
    events: fc.oneof(
      fc.subarray(['message.created', 'conversation.ended', 'ping', 'nope']),
      nastyString,
    ),
    includeNotes: fc.oneof(fc.boolean(), fc.constant('yes')),
    secret: fc.oneof(fc.string({ minLength: 10, maxLength: 300 }), nastyString),
    enabled: fc.constant(false),
  },
  { requiredKeys: ['enabled'] },
);
const textMessage = fc.record({ clientMsgId, type: fc.constant('text'), body: messageText });
const displayName = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
  .map((s) => `N${s}`);
const httpUrl = fc.constantFrom(
  'https://example.com/a.png',
  'http://127.0.0.1/x',
  `https://example.com/${'a'.repeat(2000)}`,
);

/** A visitor's context report (`visitor.context`, and `context` of a session start). */
const contextReport = (): fc.Arbitrary<Obj> =>
  fc.record(
    {
      url: fc.oneof(httpUrl, nastyString, fc.constant('javascript:alert(1)')),
      title: fc.oneof(fc.string({ maxLength: 320 }), nastyString),
      referrer: fc.oneof(httpUrl, nastyString),
      language: fc.oneof(fc.constantFrom('zh-CN', 'en', 'en-US-x-test'), nastyString),
      timeZone: fc.oneof(fc.constantFrom('Asia/Shanghai', 'UTC', 'Mars/Olympus'), nastyString),
    },
    { requiredKeys: [] },
  );
const businessHours = fc.record({
  timezone: fc.constantFrom('Asia/Shanghai', 'UTC', 'America/New_York'),
  weekly: fc.record(
    { mon: fc.constant([{ open: '09:00', close: '18:00' }]), sun: fc.constant([]) },
    { requiredKeys: [] },
  ),
});
/** A channel text: one string for every language, or some languages' (and stray keys). */
const channelText = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.record(
    {
      'zh-CN': fc.oneof(fc.string({ maxLength: 100 }), nastyString),
      en: fc.string({ maxLength: 100 }),
      fr: fc.string({ maxLength: 10 }),
    },
    { requiredKeys: [] },
  ),
);
const channelBody = fc.record(
  {
    name: displayName,
    welcomeMessage: channelText,
    offHoursMessage: channelText,
    businessHours: fc.option(businessHours, { nil: null }),
    allowedOrigins: fc.array(fc.constantFrom('https://shop.example.com', 'http://127.0.0.2:8080'), {
      maxLength: 2,
    }),
    ratingEnabled: fc.boolean(),
    idleEndMinutes: fc.option(fc.integer({ min: -5, max: 20_000 }), { nil: null }),
    absentAgentMinutes: fc.option(fc.integer({ min: -5, max: 2000 }), { nil: null }),
    robot: fc.record(
      {
        mode: fc.constantFrom('off', 'first', 'offHours', 'on', ''),
        name: fc.oneof(displayName, fc.constant('r'.repeat(33))),
        avatarFileId: fc.option(fc.constantFrom('no-such-file', ''), { nil: null }),
        greeting: channelText,
        answerEveryMessage: fc.boolean(),
        instruction: messageText,
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['name'] },
);
/** A saved reply: shortcuts clash often (a few fixed ones), texts carry placeholders. */
const savedReplyBody = fc.record(
  {
    scope: fc.constantFrom('shared', 'personal'),
    shortcut: fc.oneof(
      fc.constantFrom('refund', 'Refund', 'hi', '退款', 'a/b', 'two words'),
      fc.stringMatching(/^[a-z0-9_-]{1,40}$/),
    ),
    title: fc.oneof(displayName, fc.constant('退款说明')),
    text: fc.oneof(messageText, fc.constant('Hi {visitor.name}, {agent.name} here')),
    robotAnswer: fc.oneof(fc.boolean(), fc.constant('yes')),
  },
  { requiredKeys: ['shortcut', 'title', 'text'] },
);
/** An FAQ entry: phrasings that repeat or run past the limits, answers long and short. */
const faqBody = (fx: Fixtures) =>
  fc.record(
    {
      questions: fc.oneof(
        fc.array(fc.oneof(displayName, fc.constantFrom('退款', '退款', 'Refund', 'refund')), {
          maxLength: 22,
        }),
        nastyString,
      ),
      answer: fc.oneof(messageText, fc.constant('x'.repeat(5001))),
      imageFileId: fc.option(fc.constantFrom(fx.adminImageId, fx.fileId, 'no-such-file'), {
        nil: null,
      }),
      enabled: fc.boolean(),
      position: fc.oneof(fc.integer({ min: -2, max: 2000 }), fc.constant(1.5)),
    },
    { requiredKeys: [] },
  );
const weirdTimeZones = [
  'UTC',
  'Asia/Shanghai',
  'asia/shanghai',
  'ASIA/SHANGHAI',
  'Etc/GMT+14',
  'Etc/GMT-14',
  'EST5EDT',
  'US/Pacific',
  'GMT0',
  '+05:30',
  '-00:00',
  'Z',
  'Local',
  'Factory',
  ...Intl.supportedValuesOf('timeZone').slice(0, 40),
];

/** Report ranges: real days, impossible ones, reversed and over-long ranges, odd filters. */
const reportDay = fc.oneof(
  fc
    .date({
      min: new Date(Date.UTC(1970, 0, 1)),
      max: new Date(Date.UTC(2100, 0, 1)),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom('2026-02-30', '2026-13-01', '0000-00-00', '20260301', '2026-3-1', '9999-12-31'),
  nastyString,
);
function reportQueryFuzz(fx: Fixtures) {
  return {
    as: fx.adminToken,
    query: fc.record(
      {
        from: reportDay,
        to: reportDay,
        agentId: fc.oneof(fc.constantFrom(fx.X.id, fx.adminId, 'none', ''), nastyString),
        channelId: fc.oneof(fc.constantFrom(fx.channelId, fx.fuzzChannelId), nastyString),
      },
      { requiredKeys: [] },
    ),
  };
}

/** A signed identity token (HS256) with whatever claims, as a host app's backend would make. */
function signIdentity(claims: unknown, secret: string): string {
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`;
  const signature = createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

function multipart(fx: Fixtures): RouteFuzz['raw'] {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 256 }).map((a) => Buffer.from(a)),
    fc.constant(fx.png),
    fc.nat({ max: fx.png.length }).map((n) => fx.png.subarray(0, n)),
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.concat([fx.png.subarray(0, 16), a])),
    fc.constantFrom(
      Buffer.from('GIF89a'),
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
      Buffer.from('%PDF-1.4'),
      Buffer.from([0, 0, 0, 0x18, 0x66, 0x74, 0x79, 0x70, 0x6d, 0x70, 0x34, 0x32]),
    ),
  );
  const part = fc.record({
    name: fc.oneof(fc.constant('file'), nastyString.map(headerSafe)),
    filename: fc.option(
      fc.oneof(fc.constantFrom('dot.png', 'x.mp4', '../../x.png', 'a.svg'), nastyString),
      { nil: undefined },
    ),
    type: fc.option(
      fc.constantFrom('image/png', 'image/jpeg', 'video/mp4', 'text/html', 'image/svg+xml', ''),
      { nil: undefined },
    ),
    content: bytes,
  });
  return fc
    .record({
      parts: fc.array(part, { maxLength: 3 }),
      boundary: fc.constantFrom('fuzzboundary', 'other', ''),
      truncate: fc.nat({ max: 400 }),
      closing: fc.boolean(),
      type: fc.constantFrom('multipart/form-data', 'multipart/mixed', 'application/json', 'none'),
    })
    .map(({ parts, boundary, truncate, closing, type }) => {
      const chunks: Buffer[] = [];
      for (const p of parts) {
        const disposition = `form-data; name="${p.name}"${
          p.filename === undefined ? '' : `; filename="${headerSafe(p.filename)}"`
        }`;
        chunks.push(
          Buffer.from(
            `--fuzzboundary\r\nContent-Disposition: ${disposition}\r\n${
              p.type === undefined ? '' : `Content-Type: ${p.type}\r\n`
            }\r\n`,
            'latin1',
          ),
          p.content,
          Buffer.from('\r\n'),
        );
      }
      if (closing) chunks.push(Buffer.from('--fuzzboundary--\r\n'));
      let payload = Buffer.concat(chunks);
      if (truncate > 300) payload = payload.subarray(0, payload.length - (truncate - 300));
      return {
        contentType: type === 'none' ? undefined : `${type}; boundary=${boundary}`,
        payload,
      };
    });
}

const fileHeaders = fc.record(
  {
    range: fc.oneof(
      fc.constantFrom(
        'bytes=0-0',
        'bytes=0-',
        'bytes=-1',
        'bytes=-0',
        'bytes=5-2',
        'bytes=0-999999999999999999999',
        'bytes=999999-',
        'bytes=--1',
        'bytes=0-1,2-3',
        'items=0-1',
        'bytes= 0-1',
        'bytes=-99999999999999999999999',
        'bytes=00000000000000000001-2',
        'bytes=',
      ),
      nastyString.map(headerSafe),
    ),
    'if-none-match': fc.oneof(fc.constant('*'), nastyString.map(headerSafe)),
  },
  { requiredKeys: [] },
);

/** The account routes' fuzzing, for one of their two names. */
function accountRouteFuzz(base: string): Record<string, (fx: Fixtures) => RouteFuzz> {
  return {
    [`GET ${base}`]: (fx) => ({ as: fx.adminToken, runs: 150 }),
    [`POST ${base}`]: (fx) => ({
      as: fx.adminToken,
      body: fc.record(
        {
          username: fc.oneof(fc.stringMatching(/^[a-z0-9_.-]{2,32}$/), fc.constant('fuzzed')),
          displayName,
          password: fc.constant('password-123'),
          role: fc.constantFrom('agent', 'admin'),
          avatarUrl: fc.option(httpUrl, { nil: null }),
          maxConcurrent: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
        },
        { requiredKeys: ['username', 'displayName', 'password'] },
      ),
      writes: ['accounts', 'audit_log'],
      runs: 120,
    }),
    [`GET ${base}/:id`]: (fx) => ({ as: fx.adminToken, ids: [fx.X.id, 'no-such-account'] }),
    [`PATCH ${base}/:id`]: (fx) => ({
      as: fx.adminToken,
      ids: [fx.victimId, 'no-such-account'],
      body: fc.record(
        {
          displayName,
          avatarUrl: fc.option(httpUrl, { nil: null }),
          maxConcurrent: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
          role: fc.constantFrom('agent', 'admin'),
          enabled: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
      writes: ['accounts', 'sessions', 'audit_log'],
    }),
    [`POST ${base}/:id/password`]: (fx) => ({
      as: fx.adminToken,
      ids: [fx.victimId, 'no-such-account'],
      body: fc.record({ password: fc.constant('password-456') }, { requiredKeys: [] }),
      writes: ['accounts', 'sessions', 'audit_log'],
      runs: 100,
    }),
  };
}

const routeFuzz: Record<string, (fx: Fixtures) => RouteFuzz> = {
  'GET /healthz': () => ({ as: undefined, runs: 100 }),
  'POST /api/v1/auth/login': (fx) => ({
    as: undefined,
    body: fc.record({
      username: fc.oneof(fc.constant(fx.login.username), nastyString),
      password: fc.oneof(fc.constant(fx.login.password), nastyString),
    }),
    writes: ['sessions'],
    // Each well-formed attempt hashes a password.
    runs: 150,
  }),
  'POST /api/v1/auth/logout': (fx) => ({
    as: fx.logoutToken,
    writes: ['sessions'],
    otherCallers: false,
    runs: 150,
  }),
  'GET /api/v1/me': (fx) => ({ as: fx.X.token, runs: 150 }),
  'PATCH /api/v1/me': (fx) => ({
    as: fx.X.token,
    body: fc.record(
      {
        displayName,
        avatarUrl: fc.option(httpUrl, { nil: null }),
        avatarFileId: fc.constantFrom(fx.fileId, 'no-such-file'),
      },
      { requiredKeys: [] },
    ),
    writes: ['accounts', 'files'],
  }),
  'POST /api/v1/me/password': (fx) => ({
    as: fx.passwordChanger.token,
    body: fc.record({
      currentPassword: fc.oneof(fc.constant(fx.passwordChanger.password), nastyString),
      newPassword: fc.constantFrom(fx.passwordChanger.password, 'new-password-1'),
    }),
    writes: ['accounts', 'sessions'],
    runs: 120,
  }),
  'PUT /api/v1/me/status': (fx) => ({
    as: fx.X.token,
    body: fc.record({ status: fc.constantFrom('online', 'away', 'offline') }),
    writes: ['accounts'],
  }),
  'GET /api/v1/presence': (fx) => ({ as: fx.X.token, runs: 150 }),
  // Accounts under both their names: the same handlers, fuzzed alike.
  ...accountRouteFuzz('/api/v1/accounts'),
  ...accountRouteFuzz('/api/v1/agents'),
  'GET /api/v1/channels': (fx) => ({ as: fx.X.token, runs: 150 }),
  'GET /api/v1/channels/:id': (fx) => ({ as: fx.X.token, ids: [fx.channelId, 'no-such-channel'] }),
  'POST /api/v1/channels': (fx) => ({
    as: fx.adminToken,
    body: channelBody,
    writes: ['channels', 'audit_log'],
  }),
  'PATCH /api/v1/channels/:id': (fx) => ({
    as: fx.adminToken,
    ids: [fx.fuzzChannelId, 'no-such-channel'],
    body: channelBody,
    writes: ['channels', 'audit_log'],
  }),
  'POST /api/v1/channels/:id/rotate-secret': (fx) => ({
    as: fx.adminToken,
    ids: [fx.fuzzChannelId, 'no-such-channel'],
    writes: ['channels', 'audit_log'],
  }),
  'DELETE /api/v1/channels/:id': (fx) => ({
    as: fx.adminToken,
    ids: [fx.doomedChannelId, 'no-such-channel'],
    writes: ['channels', 'audit_log'],
  }),
  'POST /api/v1/visitor/session': (fx) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = fc.record(
      {
        sub: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), nastyString),
        name: fc.oneof(displayName, nastyString),
        avatar: fc.oneof(httpUrl, nastyString),
        exp: fc.oneof(fc.integer({ min: now + 60, max: now + 86_400 }), nastyNumber),
        attributes: fc.dictionary(
          anyKey,
          fc.oneof(nastyString, nastyNumber, fc.boolean(), fc.constant(null)),
          { maxKeys: 3 },
        ),
      },
      { requiredKeys: ['sub', 'exp'] },
    );
    const identity = fc.oneof(
      { weight: 6, arbitrary: payloadAround(claims).map((c) => signIdentity(c, fx.channelSecret)) },
      { weight: 1, arbitrary: claims.map((c) => signIdentity(c, 'not-the-channel-secret')) },
      { weight: 1, arbitrary: nastyString },
    );
    return {
      as: undefined,
      body: fc.record(
        {
          channelId: fc.constantFrom(fx.channelId, fx.fuzzChannelId),
          identity,
          context: contextReport(),
        },
        { requiredKeys: ['channelId'] },
      ),
      writes: ['visitors', 'visitor_contexts'],
      runs: 300,
    };
  },
  'GET /api/v1/visitor/unread': (fx) => ({ as: fx.A.token, runs: 150 }),
  'GET /api/v1/visitor/conversations': (fx) => ({ as: fx.A.token, runs: 150 }),
  'POST /api/v1/visitor/messages': (fx) => ({
    as: fx.A.token,
    body: fc.oneof(
      textMessage,
      fc.record({
        clientMsgId,
        type: fc.constantFrom('image', 'video'),
        fileId: fc.constant(fx.fileId),
        body: fc.string({ maxLength: 20 }),
      }),
    ),
    // A sent file is marked as taken by a message (`attached_at`), so the sweeper spares it.
    writes: ['messages', 'conversations', 'files'],
    runs: 300,
  }),
  'GET /api/v1/conversations': (fx) => ({
    as: fx.X.token,
    query: fc.record(
      {
        state: fc.constantFrom('queued', 'active', 'ended'),
        agentId: fc.constant(fx.X.id),
        channelId: fc.constant(fx.channelId),
        visitorId: fc.constant(fx.A.id),
        q: fc.constantFrom('Visitor', 'vis', '%', '_'),
        before: fc.maxSafeNat(),
        limit: fc.integer({ min: 1, max: 100 }),
      },
      { requiredKeys: [] },
    ),
    runs: 300,
  }),
  'GET /api/v1/search': (fx) => ({
    as: fx.X.token,
    query: fc.record(
      {
        q: fc.oneof(messageText, fc.constantFrom('退款', 'hello', '"quoted" OR NOT', '*', 'a b c')),
        limit: fc.integer({ min: 1, max: 50 }),
      },
      { requiredKeys: ['q'] },
    ),
    runs: 300,
  }),
  'GET /api/v1/conversations/:id': (fx) => ({ as: fx.X.token, ids: [fx.CA, fx.CE, 'no-such'] }),
  'GET /api/v1/conversations/:id/messages': (fx) => ({
    as: fx.A.token,
    ids: [fx.CA, fx.CE, 'no-such'],
    query: fc.oneof(
      fc.record({ after: fc.maxSafeNat(), limit: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ before: fc.maxSafeInteger(), limit: fc.integer({ min: 1, max: 100 }) }),
    ),
    runs: 300,
  }),
  'POST /api/v1/conversations/:id/messages': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE, 'no-such'],
    body: textMessage,
    writes: ['messages', 'conversations'],
    runs: 300,
  }),
  'GET /api/v1/conversations/:id/visitor-context': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE, 'no-such'],
  }),
  'GET /api/v1/conversations/:id/notes': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE, 'no-such'],
  }),
  'POST /api/v1/conversations/:id/notes': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE, 'no-such'],
    body: fc.record({ clientNoteId: clientMsgId, body: messageText }),
    writes: ['notes'],
    runs: 300,
  }),
  'POST /api/v1/conversations/:id/read': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE],
    body: fc.record({ seq: fc.oneof(fc.nat({ max: 50 }), fc.maxSafeNat()) }),
    writes: ['conversations'],
  }),
  // A's open conversation refuses (not ended), the ended one takes one rating, then refuses.
  'POST /api/v1/conversations/:id/rating': (fx) => ({
    as: fx.A.token,
    ids: [fx.CA, fx.CE, 'no-such'],
    body: fc.record(
      {
        score: fc.oneof(fc.integer({ min: -1, max: 7 }), fc.double(), fc.constant('5')),
        comment: fc.oneof(messageText, nastyString),
      },
      { requiredKeys: ['score'] },
    ),
    // A rating joins the reports in its transaction.
    writes: ['conversation_ratings', 'report_daily'],
  }),
  // A has a conversation open, so a well-formed left message is CONVERSATION_OPEN: nothing changes.
  'POST /api/v1/visitor/leave-message': (fx) => ({
    as: fx.A.token,
    body: fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 80 }), nastyString),
        email: fc.oneof(fc.constant('someone@example.com'), fc.string({ maxLength: 30 })),
        phone: fc.oneof(fc.constant('+86 138 0013 8000'), fc.string({ maxLength: 30 })),
        message: fc.oneof(messageText, nastyString),
        locale: fc.constantFrom('zh-CN', 'en', 'fr', 7),
        timeZone: fc.constantFrom('Asia/Shanghai', 'Mars/Olympus', ''),
      },
      { requiredKeys: [] },
    ),
  }),
  // No SMTP in this app: a valid request is MAIL_NOT_CONFIGURED, nothing reaches the outbox.
  'POST /api/v1/visitor/conversations/:id/transcript': (fx) => ({
    as: fx.A.token,
    ids: [fx.CA, fx.CE, 'no-such'],
    body: fc.record(
      {
        email: fc.oneof(fc.constant('someone@example.com'), fc.string({ maxLength: 30 })),
        locale: fc.constantFrom('zh-CN', 'en', null),
        timeZone: fc.constantFrom('UTC', 'Nowhere/Else'),
      },
      { requiredKeys: [] },
    ),
  }),
  'POST /api/v1/conversations/:id/typing': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE],
    body: fc.record({ isTyping: fc.boolean() }),
  }),
  // Allowed calls fail on purpose (ended, unavailable agents, not queued): nothing may change.
  'POST /api/v1/conversations/:id/end': (fx) => ({
    as: fx.X.token,
    ids: [fx.CE, 'no-such'],
  }),
  'POST /api/v1/conversations/:id/transfer': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE],
    body: fc.record({ agentId: fc.constantFrom(fx.X.id, fx.D.id, fx.adminId, fx.A.id, 'none') }),
  }),
  'POST /api/v1/conversations/:id/assign': (fx) => ({
    as: fx.adminToken,
    ids: [fx.CA, fx.CE],
    body: fc.record({ agentId: fc.constantFrom(fx.X.id, fx.D.id, 'none') }),
  }),
  'GET /api/v1/conversations/counts': (fx) => ({ as: fx.X.token, runs: 100 }),
  'PUT /api/v1/conversations/:id/labels/:labelId': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE, 'no-such'],
    labelId: fx.labelId,
    writes: ['conversation_labels'],
  }),
  'DELETE /api/v1/conversations/:id/labels/:labelId': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE, 'no-such'],
    labelId: fx.labelId,
    writes: ['conversation_labels'],
  }),
  'POST /api/v1/conversations/:id/snooze': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE, 'no-such'],
    body: fc.record(
      {
        until: fc.oneof(
          fc.maxSafeInteger(),
          fc.integer({ min: Date.now() - 1000, max: Date.now() + 100 * 86_400_000 }),
        ),
      },
      { requiredKeys: [] },
    ),
    writes: ['conversations'],
  }),
  'POST /api/v1/conversations/:id/unsnooze': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE, 'no-such'],
    writes: ['conversations'],
  }),
  'GET /api/v1/labels': (fx) => ({ as: fx.X.token, runs: 100 }),
  'POST /api/v1/labels': (fx) => ({
    as: fx.adminToken,
    body: labelBody,
    writes: ['labels', 'audit_log'],
  }),
  'PATCH /api/v1/labels/:id': (fx) => ({
    as: fx.adminToken,
    ids: [fx.labelId, 'no-such-label'],
    body: labelBody,
    writes: ['labels', 'audit_log'],
  }),
  'DELETE /api/v1/labels/:id': (fx) => ({
    as: fx.adminToken,
    ids: [fx.doomedLabelId, 'no-such-label'],
    writes: ['labels', 'conversation_labels', 'audit_log'],
  }),
  'GET /api/v1/webhooks': (fx) => ({ as: fx.adminToken, runs: 100 }),
  'POST /api/v1/webhooks': (fx) => ({
    as: fx.adminToken,
    body: webhookBody,
    writes: ['webhooks', 'audit_log'],
  }),
  'GET /api/v1/webhooks/:id': (fx) => ({ as: fx.adminToken, ids: [fx.webhookId, 'no-such'] }),
  'PATCH /api/v1/webhooks/:id': (fx) => ({
    as: fx.adminToken,
    ids: [fx.webhookId, 'no-such'],
    body: webhookBody,
    writes: ['webhooks', 'audit_log'],
  }),
  'DELETE /api/v1/webhooks/:id': (fx) => ({
    as: fx.adminToken,
    ids: [fx.doomedWebhookId, 'no-such'],
    writes: ['webhooks', 'webhook_deliveries', 'audit_log'],
  }),
  'POST /api/v1/webhooks/:id/rotate-secret': (fx) => ({
    as: fx.adminToken,
    ids: [fx.webhookId, 'no-such'],
    writes: ['webhooks', 'audit_log'],
  }),
  'GET /api/v1/webhooks/:id/deliveries': (fx) => ({
    as: fx.adminToken,
    ids: [fx.webhookId, 'no-such'],
    query: fc.record(
      {
        before: fc.oneof(fc.string({ maxLength: 70 }), nastyString),
        limit: fc.oneof(fc.integer({ min: -5, max: 500 }).map(String), nastyString),
        state: fc.constantFrom('pending', 'delivered', 'failed', 'lost', ''),
      },
      { requiredKeys: [] },
    ),
  }),
  'POST /api/v1/webhooks/:id/deliveries/:deliveryId/retry': (fx) => ({
    as: fx.adminToken,
    ids: [fx.webhookId, 'no-such'],
    writes: ['webhook_deliveries'],
  }),
  'POST /api/v1/webhooks/:id/test': (fx) => ({
    as: fx.adminToken,
    ids: [fx.webhookId, 'no-such'],
    writes: ['webhook_deliveries'],
  }),
  'GET /api/v1/setup': (fx) => ({ as: fx.adminToken, runs: 100 }),
  'GET /api/v1/saved-replies': (fx) => ({ as: fx.X.token, runs: 150 }),
  'POST /api/v1/saved-replies': (fx) => ({
    as: fx.adminToken,
    body: savedReplyBody,
    writes: ['saved_replies', 'audit_log'],
  }),
  'PATCH /api/v1/saved-replies/:id': (fx) => ({
    as: fx.adminToken,
    ids: [fx.sharedReplyId, fx.personalReplyId, 'no-such-reply'],
    body: savedReplyBody.map(({ scope: _scope, ...rest }) => rest),
    writes: ['saved_replies', 'audit_log'],
  }),
  'DELETE /api/v1/saved-replies/:id': (fx) => ({
    as: fx.adminToken,
    ids: [fx.doomedReplyId, fx.personalReplyId, 'no-such-reply'],
    writes: ['saved_replies', 'audit_log'],
  }),
  'GET /api/v1/robot': (fx) => ({ as: fx.X.token, runs: 100 }),
  // Reads only: a draft (none here: no knowledge), ended, or not found; nothing may change.
  'POST /api/v1/conversations/:id/suggest-reply': (fx) => ({
    as: fx.X.token,
    ids: [fx.CA, fx.CE, 'no-such'],
  }),
  'GET /api/v1/channels/:id/faq': (fx) => ({
    as: fx.adminToken,
    ids: [fx.fuzzChannelId, 'no-such-channel'],
    runs: 100,
  }),
  'POST /api/v1/channels/:id/faq': (fx) => ({
    as: fx.adminToken,
    ids: [fx.fuzzChannelId, 'no-such-channel'],
    body: faqBody(fx).map(({ position: _position, ...rest }) => rest),
    writes: ['faq_entries', 'files', 'audit_log'],
  }),
  'PATCH /api/v1/channels/:id/faq/:entryId': (fx) => ({
    as: fx.adminToken,
    ids: [fx.fuzzChannelId, fx.channelId, 'no-such-channel'],
    entryId: fx.faqEntryId,
    body: faqBody(fx),
    writes: ['faq_entries', 'files', 'audit_log'],
  }),
  'DELETE /api/v1/channels/:id/faq/:entryId': (fx) => ({
    as: fx.adminToken,
    ids: [fx.fuzzChannelId, fx.channelId, 'no-such-channel'],
    entryId: fx.doomedFaqEntryId,
    writes: ['faq_entries', 'audit_log'],
  }),
  'POST /api/v1/channels/:id/faq/try': (fx) => ({
    as: fx.adminToken,
    ids: [fx.fuzzChannelId, 'no-such-channel'],
    body: fc.record(
      { text: fc.oneof(messageText, fc.constantFrom('转人工', '退款', 'refund', ' ', '')) },
      { requiredKeys: [] },
    ),
  }),
  'GET /api/v1/embed/check': (fx) => ({
    as: undefined,
    query: fc.record(
      { channel: fc.oneof(fc.constantFrom(fx.channelId, fx.fuzzChannelId), nastyString) },
      { requiredKeys: [] },
    ),
    headers: fc.record(
      {
        origin: fc.oneof(
          fc.constantFrom('https://shop.example.com', 'null', 'http://[::1]:80', 'javascript:x'),
          nastyString.map(headerSafe),
        ),
      },
      { requiredKeys: [] },
    ),
    writes: ['channel_origins'],
    runs: 100,
  }),
  'GET /api/v1/stats': (fx) => ({
    as: fx.adminToken,
    query: fc.record({ tz: fc.constantFrom(...weirdTimeZones) }, { requiredKeys: [] }),
  }),
  'GET /api/v1/reports': (fx) => reportQueryFuzz(fx),
  'GET /api/v1/reports.csv': (fx) => reportQueryFuzz(fx),
  'GET /api/v1/audit': (fx) => ({
    as: fx.adminToken,
    query: fc.record(
      {
        before: fc.constantFrom(fx.victimId, 'no-such'),
        limit: fc.integer({ min: 1, max: 100 }),
        action: fc.constantFrom('account.create', 'channel.update', 'channel.delete'),
        actorId: fc.constant(fx.adminId),
        targetId: fc.constantFrom(fx.victimId, fx.fuzzChannelId),
      },
      { requiredKeys: [] },
    ),
  }),
  'GET /api/v1/visitors': (fx) => ({
    as: fx.adminToken,
    query: fc.record(
      { query: fc.oneof(fc.constantFrom(fx.A.id, 'someone@example.com', ''), nastyString) },
      { requiredKeys: [] },
    ),
  }),
  'GET /api/v1/visitors/:id/export': (fx) => ({
    as: fx.adminToken,
    ids: [fx.A.id, 'no-such-visitor'],
    writes: ['audit_log'],
    runs: 30,
  }),
  'POST /api/v1/visitors/:id/erase': (fx) => ({
    as: fx.adminToken,
    ids: [fx.doomedVisitorId, 'no-such-visitor'],
    body: fc.record(
      {
        confirm: fc.oneof(fc.constantFrom(fx.doomedVisitorId, 'no-such-visitor'), nastyString),
      },
      { requiredKeys: [] },
    ),
    writes: ['visitors', 'visitor_contexts', 'audit_log'],
  }),
  'GET /console': () => ({ as: undefined, runs: 100 }),
  'GET /console/*': () => ({
    as: undefined,
    ids: ['', 'index.html', 'assets', 'agents/123', '../../package.json', '..%2f..%2fpackage.json'],
  }),
  'GET /chat': (fx) => ({
    as: undefined,
    query: fc.record({ channel: fc.constant(fx.channelId) }, { requiredKeys: [] }),
    runs: 100,
  }),
  'GET /chat/*': (fx) => ({
    as: undefined,
    ids: ['', 'index.html', 'assets/x.js', '../../package.json'],
    query: fc.record({ channel: fc.constantFrom(fx.channelId, 'no-such') }, { requiredKeys: [] }),
  }),
  'GET /embed.js': () => ({ as: undefined, runs: 100 }),
  'POST /api/v1/uploads': (fx) => ({
    as: fx.A.token,
    raw: multipart(fx),
    writes: ['files'],
    runs: 250,
  }),
  'GET /api/v1/files/:id': (fx) => ({
    as: fx.A.token,
    ids: [fx.fileId, 'no-such-file'],
    query: fc.constant(fx.fileQuery),
    headers: fileHeaders,
  }),
  'GET /api/v1/files/:id/thumbnail': (fx) => ({
    as: fx.X.token,
    ids: [fx.fileId, 'no-such-file'],
    headers: fileHeaders,
  }),
  'GET /api/v1/files/:id/cover': (fx) => ({
    as: fx.A.token,
    ids: [fx.fileId, 'no-such-file'],
    headers: fileHeaders,
  }),
  'GET /api/v1/api-keys': (fx) => ({ as: fx.adminToken, runs: 100 }),
  'POST /api/v1/api-keys': (fx) => ({
    as: fx.adminToken,
    body: apiKeyBody(fx),
    writes: ['api_keys', 'audit_log'],
    runs: 100,
  }),
  'PATCH /api/v1/api-keys/:id': (fx) => ({
    as: fx.adminToken,
    ids: [fx.apiKeyId, 'no-such-key'],
    body: apiKeyBody(fx).map(({ name, rateLimitPerMinute }) => ({ name, rateLimitPerMinute })),
    writes: ['api_keys', 'audit_log'],
  }),
  'DELETE /api/v1/api-keys/:id': (fx) => ({
    as: fx.adminToken,
    ids: [fx.doomedApiKeyId, 'no-such-key'],
    writes: ['api_keys', 'audit_log'],
  }),
  'GET /api/openapi.json': () => ({ as: undefined, runs: 30 }),
  'GET /api/docs': () => ({ as: undefined, runs: 50 }),
  'GET /api/docs/*': () => ({
    as: undefined,
    ids: ['init.js', 'swagger-ui.css', 'index.html', '../package.json', '..%2fpackage.json'],
    runs: 50,
  }),
};

/** API key fields: mostly well-formed, with unknown scopes, empty lists and odd limits. */
function apiKeyBody(fx: Fixtures) {
  return fc.record(
    {
      name: fc.oneof(
        fc.string({ minLength: 1, maxLength: 40 }).map((v) => `K${v}`),
        nastyString,
      ),
      scopes: fc.oneof(
        fc.uniqueArray(
          fc.constantFrom(
            'conversations:read',
            'conversations:write',
            'messages:write',
            'reports:read',
            'admin',
          ),
          { minLength: 1 },
        ),
        fc.array(fc.oneof(fc.constantFrom('admin', 'everything', ''), nastyString), {
          maxLength: 6,
        }),
      ),
      accountId: fc.constantFrom(fx.adminId, fx.X.id, fx.D.id, 'no-such-account'),
      rateLimitPerMinute: fc.oneof(
        fc.integer({ min: 1, max: 100_000 }),
        fc.constantFrom(0, -1, 100_001, 1.5, Number.MAX_SAFE_INTEGER),
      ),
    },
    { requiredKeys: [] },
  );
}

type SocketRole = 'visitor' | 'agent' | 'admin';
interface EventFuzz {
  valid: fc.Arbitrary<Obj>;
  writes?: string[];
  runs?: number;
}

const socketFuzz: Record<ClientEvent, (fx: Fixtures) => EventFuzz> = {
  'message.send': (fx) => ({
    valid: fc.oneof(
      fc.record({
        conversationId: fc.constant(fx.CA),
        clientMsgId,
        type: fc.constant('text'),
        body: messageText,
      }),
      fc.record({
        clientMsgId,
        type: fc.constant('image'),
        fileId: fc.constant(fx.fileId),
        body: fc.string({ maxLength: 10 }),
      }),
    ),
    writes: ['messages', 'conversations', 'files'],
    runs: 400,
  }),
  'messages.list': (fx) => ({
    valid: fc.oneof(
      fc.record(
        {
          conversationId: fc.constantFrom(fx.CA, fx.CE),
          after: fc.maxSafeNat(),
          limit: fc.integer({ min: 1, max: 100 }),
        },
        { requiredKeys: ['conversationId'] },
      ),
      fc.record({ conversationId: fc.constant(fx.CA), before: fc.integer({ min: 1 }) }),
    ),
  }),
  'conversation.read': (fx) => ({
    valid: fc.record({
      conversationId: fc.constantFrom(fx.CA, fx.CE),
      seq: fc.oneof(fc.nat({ max: 50 }), fc.maxSafeNat()),
    }),
    writes: ['conversations'],
  }),
  typing: (fx) => ({
    valid: fc.record({ conversationId: fc.constant(fx.CA), isTyping: fc.boolean() }),
  }),
  'agent.status.set': () => ({
    valid: fc.record({ status: fc.constantFrom('online', 'away', 'offline') }),
    writes: ['accounts'],
  }),
  'conversations.list': (fx) => ({
    valid: fc.record(
      {
        state: fc.constantFrom('queued', 'active', 'ended'),
        agentId: fc.constant(fx.X.id),
        q: fc.constantFrom('Visitor', '%'),
        before: fc.maxSafeNat(),
        limit: fc.integer({ min: 1, max: 100 }),
      },
      { requiredKeys: [] },
    ),
  }),
  'note.create': (fx) => ({
    valid: fc.record({
      conversationId: fc.constantFrom(fx.CA, fx.CE, 'no-such'),
      clientNoteId: clientMsgId,
      body: messageText,
    }),
    writes: ['notes'],
  }),
  'conversation.end': (fx) => ({
    valid: fc.record({ conversationId: fc.constantFrom(fx.CE, 'no-such') }),
  }),
  'conversation.transfer': (fx) => ({
    valid: fc.record({
      conversationId: fc.constantFrom(fx.CA, fx.CE),
      agentId: fc.constantFrom(fx.X.id, fx.D.id, fx.adminId, 'none'),
    }),
  }),
  'conversation.assign': (fx) => ({
    valid: fc.record({
      conversationId: fc.constantFrom(fx.CA, fx.CE),
      agentId: fc.constantFrom(fx.X.id, fx.D.id),
    }),
  }),
  'visitor.context': () => ({ valid: contextReport(), writes: ['visitor_contexts'] }),
};

// ---------------------------------------------------------------------------------------------

describe('fuzzing every route and socket event', () => {
  let t: LiveApp;
  let fx: Fixtures;
  let sockets: Record<SocketRole, Socket>;
  let senderOf: Record<SocketRole, string>;
  let tables: string[];
  let totalCases = 0;

  /** A digest of every table (session touch times left out), and the ids of all messages. */
  async function snapshot() {
    const db = t.app.ctx.db as unknown as Kysely<any>;
    const digests: Record<string, string> = {};
    for (const table of tables) {
      const rows = await db.selectFrom(table).selectAll().execute();
      const lines = rows
        .map((row) => {
          const { last_seen_at: _touched, ...rest } = row as Obj;
          return JSON.stringify(rest, (_k, v: unknown) =>
            typeof v === 'bigint' ? v.toString() : v,
          );
        })
        .sort();
      digests[table] = createHash('sha256').update(lines.join('\n')).digest('hex');
    }
    const messageIds = new Set(
      (await db.selectFrom('messages').select('id').execute()).map((r) => r.id as string),
    );
    return { digests, messageIds };
  }

  interface Tally {
    cases: number;
    accepted: number;
    /** Messages the server said it stored. */
    messageIds: Set<string>;
    /** Sends nobody heard an answer to: whatever they stored is theirs. */
    unanswered: Set<string>;
    /** Events sent without an ack: they may have been accepted. */
    blind: number;
  }

  async function healthy(): Promise<void> {
    const health = await t.request('GET', '/healthz');
    expect(health.status).toBe(200);
    for (const [role, socket] of Object.entries(sockets)) {
      expect(socket.connected, `${role} socket`).toBe(true);
    }
    expect(({} as Obj).isAdmin).toBeUndefined();
    expect(({} as Obj).polluted).toBeUndefined();
  }

  /** Runs one batch, then checks that only accepted input changed anything. */
  async function batch(
    label: string,
    writes: string[],
    run: (tally: Tally) => Promise<void>,
  ): Promise<void> {
    const before = await snapshot();
    const tally: Tally = {
      cases: 0,
      accepted: 0,
      messageIds: new Set(),
      unanswered: new Set(),
      blind: 0,
    };
    await run(tally);
    // Events without an ack: let the last ones land (each socket answers in order).
    for (const socket of Object.values(sockets)) {
      await request(socket, ClientEvent.ListMessages, { conversationId: fx.CA, limit: 1 });
    }
    // Where embed.js ran is written a moment later, in the background: write it now.
    await t.app.sightings.flush();
    const after = await snapshot();
    for (const table of tables) {
      if (tally.accepted > 0 && writes.includes(table)) continue;
      if (tally.blind > 0 && writes.includes(table)) continue;
      expect(after.digests[table], `${label}: ${table} changed (accepted: ${tally.accepted})`).toBe(
        before.digests[table],
      );
    }
    // Every new message is one that was accepted.
    const db = t.app.ctx.db;
    const fresh = [...after.messageIds].filter((id) => !before.messageIds.has(id));
    if (fresh.length > 0) {
      const rows = await db
        .selectFrom('messages')
        .select(['id', 'sender_id', 'client_msg_id'])
        .where('id', 'in', fresh)
        .execute();
      const stray = rows.filter(
        (r) =>
          !tally.messageIds.has(r.id) &&
          !tally.unanswered.has(`${r.sender_id ?? ''}\n${r.client_msg_id ?? ''}`),
      );
      expect(stray, `${label}: messages nobody was told about`).toEqual([]);
    }
    for (const id of tally.messageIds) expect(after.messageIds.has(id)).toBe(true);
    await healthy();
    totalCases += tally.cases;
  }

  /** Throws (for fast-check to shrink and report) when `ok` is false; `why` is built only then. */
  function check(ok: boolean, why: () => string): void {
    if (!ok) expect.fail(why());
  }

  function checkHttpAnswer(
    answered: Answered,
    headers: Record<string, unknown>,
    method: string,
    what: () => string,
  ): void {
    const { status, body } = answered;
    check(status < 500, () => `${status} ${body.slice(0, 300)} for ${what()}`);
    if (status < 400 || method === 'HEAD') return;
    check(/^application\/json/.test(String(headers['content-type'])), () => `not JSON: ${what()}`);
    const parsed = ErrorBody.safeParse(JSON.parse(body));
    check(parsed.success, () => `${body.slice(0, 300)} for ${what()}`);
    const code = parsed.data?.error.code ?? '';
    check(knownCodes.has(code), () => `unknown code ${code} for ${what()}`);
    check(
      httpStatusOf[code as ErrorCode] === status,
      () => `${code} answered ${status} for ${what()}`,
    );
  }

  /** Short enough to read: fast-check's printer (which knows the labels), cut. */
  const describeCase = (c: unknown) => {
    let text: string;
    try {
      text = fc.stringify(c);
    } catch {
      text = '(unprintable)';
    }
    return text.length > 1500 ? `${text.slice(0, 1500)}…(${text.length})` : text;
  };

  beforeAll(async () => {
    // The rate limit has its own test; here it would turn most accepted sends into refusals.
    t = await startLiveApp({ VISITOR_MESSAGES_PER_MINUTE: '0' });
    const db = t.app.ctx.db as unknown as Kysely<any>;
    const current =
      t.app.db.engine === 'postgres'
        ? ((await db.selectNoFrom((eb) => eb.fn<string>('current_schema').as('s')).execute())[0]
            ?.s as string)
        : undefined;
    tables = [
      ...new Set(
        (await db.introspection.getTables())
          .filter((table) => current === undefined || table.schema === current)
          .map((table) => table.name)
          .filter((name) => !name.startsWith('kysely_'))
          // Background jobs renew their leases on their own clock, whatever the fuzz sends.
          .filter((name) => name !== 'leases')
          // The search index follows what it indexes (its own tests check it), FTS5's tables too.
          .filter((name) => !name.startsWith('search_index')),
      ),
    ].sort();
    expect(tables).toEqual(expect.arrayContaining(['accounts', 'messages', 'sessions']));

    const X = await t.agent({ status: 'online', displayName: 'Xavier' });
    const A = await t.visitor();
    const send = async (body: Obj) => {
      const answer = await t.request('POST', '/api/v1/visitor/messages', {
        token: A.token,
        body,
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      return answer.body;
    };
    const CE = (await send({ clientMsgId: 'fixture-1', type: 'text', body: 'first' })).conversation
      .id as string;
    expect(
      (await t.request('POST', `/api/v1/conversations/${CE}/end`, { token: X.token })).status,
    ).toBe(200);
    const CA = (await send({ clientMsgId: 'fixture-2', type: 'text', body: 'second' })).conversation
      .id as string;

    const fileId = await uploadPng(t, A.token);
    const image = await send({ clientMsgId: 'fixture-3', type: 'image', fileId });
    const signed = new URL(image.message.attachment.url as string, t.url).searchParams;

    const D = await t.agent({ displayName: 'Disabled' });
    await t.request('PATCH', `/api/v1/agents/${D.id}`, {
      token: t.adminToken,
      body: { enabled: false },
    });
    const victim = await t.agent({ displayName: 'Victim' });
    const login = await t.agent({ displayName: 'Login' });
    const changer = await t.agent({ displayName: 'Changer' });
    const me = await t.request('GET', '/api/v1/me', { token: t.adminToken });
    const channel = await t.request('GET', `/api/v1/channels/${t.channelId}`, {
      token: t.adminToken,
    });
    const makeChannel = async (name: string) =>
      (await t.request('POST', '/api/v1/channels', { token: t.adminToken, body: { name } })).body
        .channel.id as string;

    const makeReply = async (token: string, scope: string, shortcut: string) =>
      (
        await t.request('POST', '/api/v1/saved-replies', {
          token,
          body: { scope, shortcut, title: shortcut, text: `${shortcut} {visitor.name}` },
        })
      ).body.savedReply.id as string;
    const makeApiKey = async (name: string) =>
      (
        await t.request('POST', '/api/v1/api-keys', {
          token: t.adminToken,
          body: { name, scopes: ['conversations:read'] },
        })
      ).body.apiKey.id as string;
    const makeLabel = async (name: string) =>
      (
        await t.request('POST', '/api/v1/labels', {
          token: t.adminToken,
          body: { name, color: '#1f6feb' },
        })
      ).body.label.id as string;

    const makeWebhook = async () =>
      (
        await t.request('POST', '/api/v1/webhooks', {
          token: t.adminToken,
          body: { url: 'https://93.184.215.14/hook', events: ['message.created'], enabled: false },
        })
      ).body.webhook.id as string;

    const fuzzChannelId = await makeChannel('Fuzzed');
    const makeFaqEntry = async (question: string) =>
      (
        await t.request('POST', `/api/v1/channels/${fuzzChannelId}/faq`, {
          token: t.adminToken,
          body: { questions: [question], answer: `${question}: see our help page` },
        })
      ).body.entry.id as string;

    fx = {
      faqEntryId: await makeFaqEntry('How do refunds work?'),
      doomedFaqEntryId: await makeFaqEntry('退款多久到账？'),
      adminImageId: await uploadPng(t, t.adminToken),
      webhookId: await makeWebhook(),
      doomedWebhookId: await makeWebhook(),
      A,
      X,
      D,
      adminId: me.body.account.id,
      adminToken: t.adminToken,
      CA,
      CE,
      channelId: t.channelId,
      channelSecret: channel.body.channel.identitySecret,
      fuzzChannelId,
      doomedChannelId: await makeChannel('Doomed'),
      labelId: await makeLabel('Fuzzed'),
      doomedLabelId: await makeLabel('Doomed'),
      doomedVisitorId: (await t.visitor()).id,
      victimId: victim.id,
      fileId,
      fileQuery: { exp: Number(signed.get('exp')), sig: signed.get('sig')! },
      png: await smallPng(),
      login: { username: login.username, password: login.password },
      passwordChanger: { token: changer.token, password: changer.password },
      logoutToken: await t.login(login.username, login.password),
      personalReplyId: await makeReply(X.token, 'personal', 'mine'),
      sharedReplyId: await makeReply(t.adminToken, 'shared', 'ours'),
      doomedReplyId: await makeReply(t.adminToken, 'shared', 'doomed'),
      apiKeyId: await makeApiKey('Fuzzed'),
      doomedApiKeyId: await makeApiKey('Doomed'),
    };
    sockets = {
      visitor: await t.connect(A.token),
      agent: await t.connect(X.token),
      admin: await t.connect(t.adminToken),
    };
    senderOf = { visitor: A.id, agent: X.id, admin: fx.adminId };
  });
  afterAll(() => t?.close());

  it('fuzzes every registered route', () => {
    const registered = t.app.routes.map((r) => `${r.method} ${r.url}`).sort();
    expect(Object.keys(routeFuzz).sort()).toEqual(registered);
  });

  describe('REST', () => {
    for (const [route, make] of Object.entries(routeFuzz)) {
      it(`${route}`, { timeout: 120_000 }, async () => {
        const spec = make(fx);
        const [method, pattern] = route.split(' ') as [string, string];
        const sendsMessages = spec.writes?.includes('messages') ?? false;
        // The visitor, the agent, the disabled agent and the admin: each may be the wrong caller.
        const others =
          spec.otherCallers === false ? [] : [fx.A.token, fx.X.token, fx.D.token, fx.adminToken];
        const path = pattern.includes('*')
          ? fc
              .array(segment(spec.ids ?? ['x']), { maxLength: 4 })
              .map((parts) => pattern.replace('*', parts.join('/')))
          : pattern.includes(':id')
            ? segment(spec.ids ?? ['x']).map((id) =>
                pattern
                  .replace(':id', id)
                  .replace(':labelId', spec.labelId ?? 'x')
                  .replace(':entryId', spec.entryId ?? 'x'),
              )
            : fc.constant(pattern);
        const auth = fc.oneof(
          { weight: 16, arbitrary: fc.constant({ authorization: spec.as }) },
          { weight: 1, arbitrary: fc.constant({ authorization: undefined }) },
          { weight: 1, arbitrary: junkAuthorization.map((a) => ({ authorization: a, raw: true })) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(...others, undefined).map((token) => ({
              authorization: token,
            })),
          },
        );
        type Body = { contentType: string | undefined; payload?: string | Buffer };
        const body: fc.Arbitrary<Body> =
          spec.raw ??
          fc
            .tuple(contentType, bodyText(spec.body))
            .map(([type, payload]) =>
              payload === undefined ? { contentType: type } : { contentType: type, payload },
            );
        const requestArb = fc.record({
          path,
          query: queryAround(spec.query),
          auth,
          body:
            ['GET', 'DELETE'].includes(method) && !spec.raw
              ? fc.oneof(
                  { weight: 6, arbitrary: fc.constant<Body>({ contentType: undefined }) },
                  { weight: 1, arbitrary: body },
                )
              : body,
          cookie: fc.option(junkCookie, { freq: 12, nil: undefined }),
          origin: fc.option(origin, { freq: 12, nil: undefined }),
          headers: spec.headers ?? fc.constant({}),
          ip: fc.ipV4(),
        });

        await batch(route, spec.writes ?? [], async (tally) => {
          await fc.assert(
            fc.asyncProperty(requestArb, async (c) => {
              tally.cases += 1;
              const headers: Record<string, string> = { ...c.headers };
              if (c.auth.authorization !== undefined) {
                headers.authorization =
                  'raw' in c.auth ? c.auth.authorization : `Bearer ${c.auth.authorization}`;
              }
              if (c.body.contentType !== undefined) headers['content-type'] = c.body.contentType;
              if (c.cookie !== undefined) headers.cookie = c.cookie;
              if (c.origin !== undefined) headers.origin = c.origin;
              const url = c.path + c.query;
              const response = await t.app.http.inject({
                method: method as 'GET',
                url,
                headers,
                ...(c.body.payload !== undefined ? { payload: c.body.payload } : {}),
                remoteAddress: c.ip,
                // A request the server never answers fails the case instead of the run.
                signal: AbortSignal.timeout(15_000),
              });
              const answered = { route, url, status: response.statusCode, body: response.body };
              checkHttpAnswer(answered, response.headers, method, () =>
                describeCase({ url, headers, payload: String(c.body.payload ?? '') }),
              );
              if (response.statusCode < 300) {
                tally.accepted += 1;
                if (sendsMessages) tally.messageIds.add(JSON.parse(response.body).message.id);
              }
            }),
            { seed, numRuns: runsOf(spec.runs ?? 200) },
          );
        });
      });
    }

    it('unknown methods and paths', { timeout: 60_000 }, async () => {
      const arb = fc.record({
        method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
        path: fc.array(segment(['api', 'v1', 'agents', 'conversations', 'files', 'x']), {
          minLength: 1,
          maxLength: 5,
        }),
        body: bodyText(undefined),
      });
      await batch('unknown routes', [], async (tally) => {
        await fc.assert(
          fc.asyncProperty(arb, async (c) => {
            tally.cases += 1;
            const url = `/${c.path.join('/')}`;
            const response = await t.app.http.inject({
              method: c.method as 'GET',
              url,
              headers: { authorization: `Bearer ${fx.adminToken}` },
              ...(c.body !== undefined && !['GET', 'HEAD'].includes(c.method)
                ? { payload: c.body }
                : {}),
            });
            const answered = {
              route: 'unknown',
              url,
              status: response.statusCode,
              body: response.body,
            };
            checkHttpAnswer(answered, response.headers, c.method, () => describeCase(c));
          }),
          { seed, numRuns: runsOf(300) },
        );
      });
    });
  });

  describe('sockets', () => {
    it('fuzzes every client event', () => {
      expect(Object.keys(socketFuzz).sort()).toEqual(Object.values(ClientEvent).sort());
    });

    for (const [event, make] of Object.entries(socketFuzz)) {
      it(event, { timeout: 120_000 }, async () => {
        const spec = make(fx);
        const arb = fc.record({
          role: fc.constantFrom<SocketRole>('visitor', 'agent', 'admin'),
          payload: fc.oneof(
            { weight: 14, arbitrary: payloadAround(spec.valid) },
            { weight: 1, arbitrary: fc.constant(undefined) },
            { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
          ),
          ack: fc.oneof(
            { weight: 8, arbitrary: fc.constant<'function' | 'none' | 'odd'>('function') },
            { weight: 1, arbitrary: fc.constant<'function' | 'none' | 'odd'>('none') },
            { weight: 1, arbitrary: fc.constant<'function' | 'none' | 'odd'>('odd') },
          ),
          oddAck: fc.oneof(anyValue, fc.constant(undefined)),
        });
        await batch(event, spec.writes ?? [], async (tally) => {
          await fc.assert(
            fc.asyncProperty(arb, async (c) => {
              tally.cases += 1;
              const socket = sockets[c.role];
              const what = () => `${c.role} ${event} ${describeCase(c.payload)}`;
              const payload = c.payload as Obj | undefined;
              if (c.ack !== 'function') {
                tally.blind += 1;
                if (c.ack === 'none') socket.emit(event, payload);
                else socket.emit(event, payload, c.oddAck, { extra: true });
                if (event === ClientEvent.SendMessage && typeof payload?.clientMsgId === 'string') {
                  tally.unanswered.add(`${senderOf[c.role]}\n${payload.clientMsgId}`);
                }
                return;
              }
              const ack = await request(socket, event, payload);
              if (ack?.ok === true) {
                tally.accepted += 1;
                if (event === ClientEvent.SendMessage) tally.messageIds.add(ack.message.id);
                return;
              }
              const refusal = AckError.safeParse(ack);
              check(refusal.success, () => `${describeCase(ack)} for ${what()}`);
              const code = refusal.data?.error.code ?? '';
              check(
                knownCodes.has(code) && code !== 'INTERNAL',
                () => `${describeCase(ack)} for ${what()}`,
              );
              // A refusal does not echo a huge input back.
              check(JSON.stringify(ack).length < 5000, () => `a long answer for ${what()}`);
            }),
            { seed, numRuns: runsOf(spec.runs ?? 200) },
          );
        });
      });
    }
  });

  /** What the fuzzing found and the server now refuses properly, as plain cases. */
  describe('counterexamples, kept', () => {
    const nul = 'a\u0000b';
    const refusedAs = (answer: { status: number; body: any }, status: number, code: string) =>
      expect([answer.status, answer.body?.error?.code], JSON.stringify(answer.body)).toEqual([
        status,
        code,
      ]);

    it('a NUL in a path id is a 400, not a failed query (PostgreSQL)', async () => {
      const withId = t.app.routes.filter((r) => r.url.includes(':id'));
      expect(withId.length).toBeGreaterThan(10);
      for (const { method, url } of withId) {
        const spec = routeFuzz[`${method} ${url}`]!(fx);
        const answer = await t.request(method, url.replace(':id', 'a%00b'), {
          ...(spec.as ? { token: spec.as } : {}),
          ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }),
        });
        refusedAs(answer, 400, 'VALIDATION_FAILED');
      }
    });

    it('a NUL in an id or a looked-up text of a body or query is a 400', async () => {
      const cases: [string, string, string | undefined, unknown][] = [
        ['POST', '/api/v1/auth/login', undefined, { username: nul, password: 'x' }],
        ['POST', '/api/v1/visitor/session', undefined, { channelId: nul }],
        ['PATCH', '/api/v1/me', fx.X.token, { avatarUrl: `https://a.example/${nul}` }],
        ['PATCH', '/api/v1/me', fx.X.token, { avatarFileId: nul }],
        ['POST', `/api/v1/conversations/${fx.CA}/transfer`, fx.X.token, { agentId: nul }],
        [
          'POST',
          '/api/v1/visitor/messages',
          fx.A.token,
          { clientMsgId: 'nul-file', type: 'image', fileId: nul },
        ],
        ['GET', '/api/v1/conversations?q=a%00b', fx.X.token, undefined],
        ['GET', '/api/v1/conversations?channelId=a%00b', fx.adminToken, undefined],
        ['GET', '/api/v1/audit?targetId=a%00b', fx.adminToken, undefined],
      ];
      for (const [method, url, token, body] of cases) {
        const answer = await t.request(method, url, {
          ...(token ? { token } : {}),
          ...(body ? { body } : {}),
        });
        refusedAs(answer, 400, 'VALIDATION_FAILED');
      }
    });

    it('an identity whose subject has a NUL is IDENTITY_INVALID', async () => {
      const identity = signIdentity(
        { sub: nul, exp: Math.floor(Date.now() / 1000) + 600 },
        fx.channelSecret,
      );
      const answer = await t.request('POST', '/api/v1/visitor/session', {
        body: { channelId: fx.channelId, identity },
      });
      refusedAs(answer, 401, 'IDENTITY_INVALID');
    });

    it('a NUL in a socket payload’s ids is VALIDATION_FAILED', async () => {
      const payloads: [string, unknown][] = [
        ['messages.list', { conversationId: nul }],
        ['conversation.read', { conversationId: nul, seq: 0 }],
        ['typing', { conversationId: nul, isTyping: true }],
        ['conversation.end', { conversationId: nul }],
        ['conversation.transfer', { conversationId: fx.CA, agentId: nul }],
        ['conversation.assign', { conversationId: nul, agentId: fx.X.id }],
        ['conversations.list', { q: nul }],
        ['message.send', { clientMsgId: 'nul-file', type: 'image', fileId: nul }],
      ];
      for (const [event, payload] of payloads) {
        const ack = await request(sockets.admin, event, payload);
        expect(ack.error?.code, `${event} ${JSON.stringify(ack)}`).toBe('VALIDATION_FAILED');
      }
    });

    it('a cut or boundary-less multipart body is a 400, not a 500', async () => {
      for (const [type, payload] of [
        ['multipart/form-data; boundary=fuzzboundary', '--fuzzboundary-'],
        [
          'multipart/form-data; boundary=fuzzboundary',
          '--fuzzboundary\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\nabc',
        ],
        ['multipart/form-data; boundary=', '--\r\n'],
        ['multipart/form-data', '--x\r\n'],
      ] as const) {
        const answer = await t.request('POST', '/api/v1/uploads', {
          token: fx.A.token,
          rawBody: payload,
          headers: { 'content-type': type },
        });
        refusedAs(answer, 400, 'BAD_REQUEST');
      }
    });
  });

  describe('defects the fuzzing found, kept as plain cases', () => {
    it('a path the router cannot decode is answered with our error body', async () => {
      for (const url of ['/api/v1/agents/%', `/api/v1/agents/${'x'.repeat(200)}`]) {
        const response = await t.request('GET', url, { token: fx.adminToken });
        expect(ErrorBody.parse(response.body).error.code, url).toBe('BAD_REQUEST');
        expect(response.status, url).toBe(400);
      }
    });

    it('GET /chat/?channel=<text with NUL> does not fail', async () => {
      const response = await t.request('GET', '/chat/?channel=a%00b');
      expect(response.status).toBeLessThan(500);
    });
  });

  it('ran at least 10,000 cases', () => {
    if (scale >= 1) expect(totalCases).toBeGreaterThanOrEqual(10_000);
  });
});
