import type { FileInfo, UploadResponse } from '@servicesystem/protocol/wire';
import { ApiError, parseJson } from './apiError.js';

export type QueryParams = Record<string, string | number | boolean | undefined>;

/** `?a=1&b=x` from the defined, non-empty values; '' when there are none. */
export function queryString(params: QueryParams): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

export interface HttpClientOptions {
  /** Put before every path: '/api/v1'. */
  baseUrl?: string;
  /** 'same-origin' sends the console's session cookie; the visitor page uses tokens: 'omit'. */
  credentials: RequestCredentials;
  /** The fetch to use (tests pass their own). */
  fetch?: typeof fetch;
}

export interface RequestOptions {
  body?: unknown;
  query?: QueryParams;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | null;
}

export interface HttpClient {
  /**
   * One JSON request. Resolves with the parsed answer (undefined for an empty one); rejects with
   * an ApiError: the server's error, `NETWORK` when nothing came back, `HTTP_<status>` when the
   * answer was not ours, `BAD_RESPONSE` when a 2xx answer is not JSON.
   */
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const base = options.baseUrl ?? '';
  return {
    async request<T>(method: string, path: string, request: RequestOptions = {}): Promise<T> {
      const doFetch = options.fetch ?? fetch;
      const headers: Record<string, string> = {};
      if (request.body !== undefined) headers['content-type'] = 'application/json';
      if (request.token) headers.authorization = `Bearer ${request.token}`;
      let response: Response;
      let text: string;
      try {
        response = await doFetch(base + path + queryString(request.query ?? {}), {
          method,
          credentials: options.credentials,
          headers,
          ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        });
        text = await response.text();
      } catch {
        throw new ApiError('NETWORK', 'network error');
      }
      if (!response.ok) {
        throw ApiError.fromResponse(
          response.status,
          response.statusText,
          text,
          response.headers.get('retry-after'),
        );
      }
      if (!text) return undefined as T;
      const data = parseJson(text);
      if (data === undefined) {
        throw new ApiError('BAD_RESPONSE', 'the answer is not JSON', { status: response.status });
      }
      return data as T;
    },
  };
}

export interface UploadHandle {
  promise: Promise<FileInfo>;
  /** Aborts the upload: the promise rejects with `CANCELLED`. */
  cancel(): void;
}

export interface UploadOptions {
  /** '/api/v1/uploads'. */
  url: string;
  file: Blob;
  name: string;
  /** Sent as `Authorization: Bearer <token>`; without one the browser's cookies go along. */
  token?: string | null;
  /** 0..1 as the bytes go out. */
  onProgress?: (fraction: number) => void;
  /** Makes the request (tests pass a fake). */
  createRequest?: () => XMLHttpRequest;
}

/**
 * POST a file as multipart form data. XMLHttpRequest, not fetch: only it reports upload progress.
 */
export function uploadFile(options: UploadOptions): UploadHandle {
  const xhr = options.createRequest ? options.createRequest() : new XMLHttpRequest();
  const promise = new Promise<FileInfo>((resolve, reject) => {
    xhr.open('POST', options.url);
    if (options.token) xhr.setRequestHeader('authorization', `Bearer ${options.token}`);
    else xhr.withCredentials = true;
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0)
        options.onProgress?.(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError('NETWORK', 'network error'));
    xhr.ontimeout = () => reject(new ApiError('TIMEOUT', 'no answer'));
    xhr.onabort = () => reject(new ApiError('CANCELLED', 'cancelled'));
    xhr.onload = () => {
      if (xhr.status < 200 || xhr.status >= 300) {
        reject(
          ApiError.fromResponse(
            xhr.status,
            xhr.statusText,
            xhr.responseText,
            xhr.getResponseHeader('retry-after'),
          ),
        );
        return;
      }
      const file = (parseJson(xhr.responseText) as Partial<UploadResponse> | undefined)?.file;
      if (file && typeof file.id === 'string') resolve(file);
      else
        reject(
          new ApiError('BAD_RESPONSE', 'the upload answer has no file', { status: xhr.status }),
        );
    };
    const form = new FormData();
    form.append('file', options.file, options.name);
    xhr.send(form);
  });
  return { promise, cancel: () => xhr.abort() };
}
