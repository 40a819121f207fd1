import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { gateway } from '../../api/gateway';
import type { Focus, Session } from '../../api/types';
import { ErrorBox, Section } from '../../components/ui';

const WAIT_S = 25;
const RETRY_MS = 3000;

/** Where the officers are now (site and checklist item), waited for with a long-poll: the gateway
 *  answers as soon as an officer moves on, so the camera can be pointed there. */
export function CurrentFocus({ session }: { session: Session }) {
  const { t } = useTranslation();
  const [focus, setFocus] = useState<Focus | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    let etag: string | null = null; // the first request answers at once; the next ones wait for a change
    void (async () => {
      while (live) {
        try {
          const answer = await gateway.nextFocus(session.session_id, etag, WAIT_S);
          if (!live) return;
          etag = answer.etag;
          setError(null);
          const next = answer.body;
          if (next === null) continue; // unchanged for WAIT_S seconds
          setFocus(next);
          if (!['open', 'in_progress'].includes(next.state)) return;
        } catch (err) {
          if (!live) return;
          setError(err);
          await new Promise((r) => setTimeout(r, RETRY_MS));
        }
      }
    })();
    return () => {
      live = false;
    };
  }, [session.session_id]);
  return (
    <Section title={t('focus.enterpriseTitle')} id="current-focus">
      <div aria-live="polite" data-testid="current-focus">
        {focus?.site_id ? (
          <dl className="facts">
            <dt>{t('focus.site')}</dt>
            <dd>{focus.site_name ?? focus.site_id}</dd>
            <dt>{t('focus.item')}</dt>
            <dd>{focus.item_id ? focus.item_description ?? focus.item_id : t('focus.noItem')}</dd>
          </dl>
        ) : (
          <p>{t('focus.waiting')}</p>
        )}
      </div>
      <ErrorBox error={error} />
    </Section>
  );
}
