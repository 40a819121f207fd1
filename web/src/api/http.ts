// One fetch wrapper for the four APIs: the bearer token, JSON, and errors as ApiError carrying
// the Problem Details members every service keeps (`detail`, and `field` where there is one).

import { currentToken, signalExpired } from '../auth/session';
import { config, type ApiOrigins } from '../config';

export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly field: string | null;

  constructor(status: number, detail: string, field: string | null) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.field = field;
  }
}

function detailOf(body: unknown): { detail: string; field: string | null } {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    let detail = b.detail ?? b.title ?? '';
    let field = typeof b.field === 'string' ? b.field : null;
    if (Array.isArray(detail)) {
      // FastAPI validation: [{loc: [...], msg}]
      const first = detail[0] as { loc?: unknown[]; msg?: string } | undefined;
      field = field ?? (first?.loc ? first.loc.filter((p) => p !== 'body').join('.') : null);
      detail = detail.map((d: { msg?: string }) => d.msg ?? '').join('; ');
    }
    return { detail: String(detail), field };
  }
  return { detail: typeof body === 'string' ? body : '', field: null };
}

type Init = { method?: string; body?: unknown; raw?: Blob; headers?: Record<string, string> };

async function call(api: keyof ApiOrigins, path: string, init: Init): Promise<{ response: Response; parsed: unknown }> {
  const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
  const token = currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | Blob | undefined = init.raw;
  if (init.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  let response: Response;
  try {
    // no-store: a 304 reaches the caller instead of being answered from the browser's cache
    response = await fetch(`${config().apis[api]}${path}`, { method: init.method ?? 'GET', headers, body, cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, String(err), null);
  }
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  if (!response.ok && response.status !== 304) {
    const { detail, field } = detailOf(parsed);
    if (response.status === 401) signalExpired();
    throw new ApiError(response.status, detail, field);
  }
  return { response, parsed };
}

export async function request<T>(api: keyof ApiOrigins, path: string, init: Init = {}): Promise<T> {
  return (await call(api, path, init)).parsed as T;
}

/** The long-poll every service's GET offers (`Prefer: wait=N`, RFC 7240; `If-None-Match`, RFC 9110):
 *  the representation and its ETag as soon as it differs from `etag`, or `body: null` (304 Not
 *  Modified) once `waitS` seconds pass unchanged. Without an ETag it answers at once. */
export async function longPoll<T>(
  api: keyof ApiOrigins,
  path: string,
  etag: string | null,
  waitS: number,
): Promise<{ body: T | null; etag: string | null }> {
  const headers: Record<string, string> = { Prefer: `wait=${waitS}` };
  if (etag) headers['If-None-Match'] = etag;
  const { response, parsed } = await call(api, path, { headers });
  const tag = response.headers.get('ETag') ?? etag;
  return response.status === 304 ? { body: null, etag: tag } : { body: parsed as T, etag: tag };
}
