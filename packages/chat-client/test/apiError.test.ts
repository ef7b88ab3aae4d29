import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/apiError.js';
import { createHttpClient, queryString, uploadFile } from '../src/http.js';
import { callWithAck, type AckSocket } from '../src/socketCall.js';
import { fileInfo } from './factories.js';

describe('ApiError.fromResponse', () => {
  it('reads the server error body', () => {
    const body = JSON.stringify({
      error: {
        code: 'VALIDATION_FAILED',
        message: '"password": must be at least 8 characters',
        issues: [{ path: 'password', message: 'must be at least 8 characters' }, { path: 1 }],
      },
    });
    const error = ApiError.fromResponse(400, 'Bad Request', body);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe('"password": must be at least 8 characters');
    expect(error.status).toBe(400);
    // Malformed issues are dropped, well-formed ones kept.
    expect(error.issues).toEqual([{ path: 'password', message: 'must be at least 8 characters' }]);
    expect(error.transient).toBe(false);
  });

  it('takes the wait from the body, else from Retry-After', () => {
    const limited = JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'slow down' } });
    expect(ApiError.fromResponse(429, '', limited, '7').retryAfterSeconds).toBe(7);
    expect(ApiError.fromResponse(429, '', limited, 'soon').retryAfterSeconds).toBeUndefined();
    const withBody = JSON.stringify({
      error: { code: 'RATE_LIMITED', message: 'slow down', retryAfterSeconds: 3 },
    });
    expect(ApiError.fromResponse(429, '', withBody, '7').retryAfterSeconds).toBe(3);
  });

  it('answers HTTP_<status> for anything that is not our error body', () => {
    const cases: Array<[number, string, string]> = [
      [502, 'Bad Gateway', '<html><body>502 Bad Gateway</body></html>'],
      [500, 'Internal Server Error', ''],
      [404, 'Not Found', '{"message":"no error field"}'],
      [400, 'Bad Request', '{"error":{"code":42,"message":"code is not a string"}}'],
      [400, 'Bad Request', '{"error":"a string"}'],
      [400, 'Bad Request', '[1,2]'],
    ];
    for (const [status, statusText, body] of cases) {
      const error = ApiError.fromResponse(status, statusText, body);
      expect(error.code).toBe(`HTTP_${status}`);
      expect(error.message).toBe(statusText);
      expect(error.status).toBe(status);
    }
    expect(ApiError.fromResponse(500, '', '').message).toBe('HTTP 500');
  });

  it('uses the code as the message when the message is missing', () => {
    const error = ApiError.fromResponse(403, 'Forbidden', '{"error":{"code":"FORBIDDEN"}}');
    expect([error.code, error.message]).toEqual(['FORBIDDEN', 'FORBIDDEN']);
  });

  it('tells passing failures from refusals', () => {
    const transient = (code: string, status = 0) => new ApiError(code, '', { status }).transient;
    expect(transient('NETWORK')).toBe(true);
    expect(transient('TIMEOUT')).toBe(true);
    expect(transient('SERVICE_UNAVAILABLE', 503)).toBe(true);
    expect(transient('STORAGE_UNAVAILABLE', 503)).toBe(true);
    expect(transient('HTTP_502', 502)).toBe(true);
    expect(transient('HTTP_504', 504)).toBe(true);
    expect(transient('HTTP_500', 500)).toBe(false);
    expect(transient('INTERNAL', 500)).toBe(false);
    expect(transient('RATE_LIMITED', 429)).toBe(false);
    expect(transient('CONVERSATION_ENDED', 409)).toBe(false);
    expect(transient('CANCELLED')).toBe(false);
  });

  it('reads acknowledgement errors and anything thrown', () => {
    const ack = ApiError.fromAck({ code: 'RATE_LIMITED', message: 'wait', retryAfterSeconds: 2 });
    expect([ack.code, ack.message, ack.status, ack.retryAfterSeconds]).toEqual([
      'RATE_LIMITED',
      'wait',
      0,
      2,
    ]);
    expect(ApiError.fromAck(null as never).code).toBe('BAD_RESPONSE');
    const same = new ApiError('NOT_FOUND', 'gone');
    expect(ApiError.from(same)).toBe(same);
    expect([ApiError.from(new TypeError('boom')).code, ApiError.from('boom').message]).toEqual([
      'INTERNAL',
      'boom',
    ]);
  });
});

describe('the HTTP client', () => {
  type Call = { url: string; init: RequestInit };
  function fakeFetch(answer: () => Response | Promise<Response>) {
    const calls: Call[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return answer();
    }) as unknown as typeof globalThis.fetch;
    return { calls, fetch };
  }

  it('sends JSON with the token and the query, and parses the answer', async () => {
    const { calls, fetch } = fakeFetch(() => Response.json({ ok: 1 }));
    const client = createHttpClient({ baseUrl: '/api/v1', credentials: 'omit', fetch });
    const answer = await client.request<{ ok: number }>('POST', '/things', {
      body: { name: 'x' },
      token: 'tok',
      query: { a: 1, b: undefined, c: '', d: 'x y' },
    });
    expect(answer).toEqual({ ok: 1 });
    expect(calls[0]!.url).toBe('/api/v1/things?a=1&d=x+y');
    expect(calls[0]!.init).toMatchObject({
      method: 'POST',
      credentials: 'omit',
      headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
      body: '{"name":"x"}',
    });
  });

  it('sends no body, type or token when there is none', async () => {
    const { calls, fetch } = fakeFetch(() => new Response(null, { status: 204 }));
    const client = createHttpClient({ credentials: 'same-origin', fetch });
    expect(await client.request('POST', '/api/v1/auth/logout')).toBeUndefined();
    expect(calls[0]!.init.headers).toEqual({});
    expect('body' in calls[0]!.init).toBe(false);
  });

  it('rejects with the server error, NETWORK, or BAD_RESPONSE', async () => {
    const refused = createHttpClient({
      credentials: 'omit',
      fetch: fakeFetch(() =>
        Response.json(
          { error: { code: 'NOT_FOUND', message: 'no such channel' } },
          { status: 404 },
        ),
      ).fetch,
    });
    await expect(refused.request('GET', '/x')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: 'no such channel',
      status: 404,
    });
    const down = createHttpClient({
      credentials: 'omit',
      fetch: fakeFetch(() => Promise.reject(new TypeError('Failed to fetch'))).fetch,
    });
    const error = await down.request('GET', '/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe('NETWORK');
    expect((error as ApiError).transient).toBe(true);
    const garbled = createHttpClient({
      credentials: 'omit',
      fetch: fakeFetch(() => new Response('<html>', { status: 200 })).fetch,
    });
    await expect(garbled.request('GET', '/x')).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });

  it('builds query strings from defined values only', () => {
    expect(queryString({})).toBe('');
    expect(queryString({ q: '', before: undefined })).toBe('');
    expect(queryString({ state: 'ended', limit: 50 })).toBe('?state=ended&limit=50');
  });
});

describe('uploads', () => {
  /** The parts of XMLHttpRequest uploadFile uses, answering as told. */
  class FakeRequest {
    static last: FakeRequest;
    headers: Record<string, string> = {};
    withCredentials = false;
    status = 0;
    statusText = '';
    responseText = '';
    aborted = false;
    sent: FormData | null = null;
    upload: { onprogress: ((e: Partial<ProgressEvent>) => void) | null } = { onprogress: null };
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    ontimeout: (() => void) | null = null;
    onabort: (() => void) | null = null;
    constructor() {
      FakeRequest.last = this;
    }
    open() {}
    setRequestHeader(name: string, value: string) {
      this.headers[name] = value;
    }
    getResponseHeader() {
      return null;
    }
    send(form: FormData) {
      this.sent = form;
    }
    abort() {
      this.aborted = true;
      this.onabort?.();
    }
    answer(status: number, body: unknown) {
      this.status = status;
      this.responseText = JSON.stringify(body);
      this.onload?.();
    }
  }
  const createRequest = () => new FakeRequest() as unknown as XMLHttpRequest;
  const blob = new Blob(['png']);

  it('posts the file with the token, reports progress and answers the stored file', async () => {
    const progress: number[] = [];
    const handle = uploadFile({
      url: '/api/v1/uploads',
      file: blob,
      name: 'photo.png',
      token: 'tok',
      onProgress: (f) => progress.push(f),
      createRequest,
    });
    const request = FakeRequest.last;
    expect(request.headers).toEqual({ authorization: 'Bearer tok' });
    expect(request.withCredentials).toBe(false);
    expect((request.sent!.get('file') as File).name).toBe('photo.png');
    request.upload.onprogress!({ lengthComputable: true, loaded: 50, total: 200 });
    request.upload.onprogress!({ lengthComputable: false, loaded: 60, total: 0 });
    request.answer(201, { file: fileInfo('f1') });
    expect(await handle.promise).toEqual(fileInfo('f1'));
    expect(progress).toEqual([0.25]);
  });

  it('sends cookies without a token; rejects refusals, network failures and cancels', async () => {
    const refused = uploadFile({ url: '/u', file: blob, name: 'a', createRequest });
    expect(FakeRequest.last.withCredentials).toBe(true);
    FakeRequest.last.answer(415, { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'no' } });
    await expect(refused.promise).rejects.toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      status: 415,
    });

    const lost = uploadFile({ url: '/u', file: blob, name: 'a', createRequest });
    FakeRequest.last.onerror!();
    await expect(lost.promise).rejects.toMatchObject({ code: 'NETWORK' });

    const cancelled = uploadFile({ url: '/u', file: blob, name: 'a', createRequest });
    cancelled.cancel();
    expect(FakeRequest.last.aborted).toBe(true);
    await expect(cancelled.promise).rejects.toMatchObject({ code: 'CANCELLED' });

    const empty = uploadFile({ url: '/u', file: blob, name: 'a', createRequest });
    FakeRequest.last.answer(200, {});
    await expect(empty.promise).rejects.toMatchObject({ code: 'BAD_RESPONSE' });
  });
});

describe('callWithAck', () => {
  function socket(connected: boolean, answer: () => Promise<unknown>) {
    const emitted: Array<[string, unknown, number]> = [];
    const s: AckSocket = {
      connected,
      timeout: (ms) => ({
        emitWithAck: (event, payload) => {
          emitted.push([event, payload, ms]);
          return answer();
        },
      }),
    };
    return { s, emitted };
  }

  it('answers the acknowledgement and sends the event with its timeout', async () => {
    const { s, emitted } = socket(true, async () => ({ ok: true, seq: 4 }));
    expect(await callWithAck(s, 'conversation.read', { seq: 4 }, 5000)).toEqual({
      ok: true,
      seq: 4,
    });
    expect(emitted).toEqual([['conversation.read', { seq: 4 }, 5000]]);
  });

  it('rejects with the server code, NETWORK when offline, TIMEOUT without an answer', async () => {
    const refused = socket(true, async () => ({
      ok: false,
      error: { code: 'RATE_LIMITED', message: 'slow', retryAfterSeconds: 1 },
    }));
    await expect(callWithAck(refused.s, 'message.send', {})).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 1,
    });

    const offline = socket(false, async () => ({ ok: true }));
    await expect(callWithAck(offline.s, 'message.send', {})).rejects.toMatchObject({
      code: 'NETWORK',
    });
    expect(offline.emitted).toEqual([]);

    const silent = socket(true, () => Promise.reject(new Error('operation has timed out')));
    await expect(callWithAck(silent.s, 'message.send', {})).rejects.toMatchObject({
      code: 'TIMEOUT',
    });

    const odd = socket(true, async () => 'yes');
    await expect(callWithAck(odd.s, 'message.send', {})).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
    });
  });
});
