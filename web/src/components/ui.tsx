// Small shared pieces: an API error in the user's language with what to do, a loading line,
// a state badge, dates in the user's locale, and a data loader hook.

import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/http';

export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  if (!error) return null;
  let what = t('errors.server');
  let detail = error instanceof Error ? error.message : String(error);
  if (error instanceof ApiError) {
    detail = error.detail;
    if (error.status === 0) what = t('errors.network');
    else if (error.status === 401) what = t('errors.unauthorized');
    else if (error.status === 403) what = t('errors.forbidden');
    else if (error.status === 404) what = t('errors.notFound');
    else if (error.status === 409) what = t('errors.conflict');
    else if (error.status === 422 || error.status === 400)
      what = error.field ? t('errors.invalidField', { field: error.field }) : t('errors.invalid');
  }
  return (
    <div className="error" role="alert">
      <strong>{t('errors.title')}</strong>
      <p>{what}</p>
      {detail && <p className="detail">{t('errors.detail', { detail })}</p>}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  const { t } = useTranslation();
  return (
    <p className="loading" role="status">
      {t('common.loading')}
    </p>
  );
}

export function StateBadge({ state }: { state: string | null | undefined }) {
  const { t } = useTranslation();
  const s = state ?? 'unknown';
  return <span className={`badge state-${s}`}>{t(`states.${s}`, { defaultValue: s })}</span>;
}

export function When({ at }: { at: string | null | undefined }) {
  const { t, i18n } = useTranslation();
  if (!at) return <>{t('common.notSet')}</>;
  const date = new Date(at);
  return (
    <time dateTime={at}>
      {date.toLocaleString(i18n.resolvedLanguage, { dateStyle: 'medium', timeStyle: 'short' })}
    </time>
  );
}

export function Section({ title, children, id }: { title: string; children: ReactNode; id?: string }) {
  return (
    <section aria-labelledby={id} className="card">
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads with `fetcher` on mount and when `deps` change; `intervalMs` polls. */
export function useLoad<T>(fetcher: () => Promise<T>, deps: unknown[], intervalMs?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(fetcher, deps);
  useEffect(() => {
    let live = true;
    const load = () =>
      run()
        .then((d) => {
          if (live) {
            setData(d);
            setError(null);
          }
        })
        .catch((e) => live && setError(e))
        .finally(() => live && setLoading(false));
    void load();
    const timer = intervalMs ? setInterval(load, intervalMs) : undefined;
    return () => {
      live = false;
      if (timer) clearInterval(timer);
    };
  }, [run, tick, intervalMs]);
  return { data, error, loading, reload: () => setTick((n) => n + 1) };
}

/**
 * A form field's draft kept in sessionStorage under `key`: it outlives a trip to the sign-in page
 * (an expired token) and a reload in the same tab; `clear` after the form is sent.
 */
export function useDraft(key: string, initial = ''): [string, (v: string) => void, () => void] {
  const storageKey = `rvi.draft.${key}`;
  const [value, setValue] = useState<string>(() => sessionStorage.getItem(storageKey) ?? initial);
  const set = useCallback(
    (v: string) => {
      setValue(v);
      sessionStorage.setItem(storageKey, v);
    },
    [storageKey],
  );
  const clear = useCallback(() => {
    sessionStorage.removeItem(storageKey);
    setValue(initial);
  }, [storageKey, initial]);
  return [value, set, clear];
}
