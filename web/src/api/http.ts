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

export async function request<T>(
  api: keyof ApiOrigins,
  path: string,
  init: { method?: string; body?: unknown; raw?: Blob; headers?: Record<string, string> } = {},
): Promise<T> {
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
    response = await fetch(`${config().apis[api]}${path}`, { method: init.method ?? 'GET', headers, body });
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
  if (!response.ok) {
    const { detail, field } = detailOf(parsed);
    if (response.status === 401) signalExpired();
    throw new ApiError(response.status, detail, field);
  }
  return parsed as T;
}
