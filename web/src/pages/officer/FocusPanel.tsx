import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { gateway } from '../../api/gateway';
import type { Inspection, Session } from '../../api/types';
import { ErrorBox, Section, useLoad } from '../../components/ui';
import { SiteSelect } from '../../components/SiteSelect';

/** Sets the site and checklist item the enterprise's screen shows as current. */
export function FocusPanel({ session, inspection }: { session: Session; inspection: Inspection }) {
  const { t } = useTranslation();
  const focus = useLoad(() => gateway.focus(session.session_id), [session.session_id], 5000);
  const [siteId, setSiteId] = useState(inspection.sites[0]?.site_id ?? '');
  const [itemId, setItemId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const show = async () => {
    setError(null);
    try {
      await gateway.setFocus(session.session_id, siteId, itemId || null);
      focus.reload();
    } catch (err) {
      setError(err);
    }
  };
  const f = focus.data;
  return (
    <Section title={t('focus.title')} id="focus">
      <div className="grid2">
        <SiteSelect label={t('focus.site')} sites={inspection.sites} value={siteId} onChange={setSiteId} name="focus-site" />
        <label>
          {t('focus.item')}
          <select value={itemId} onChange={(e) => setItemId(e.target.value)} name="focus-item">
            <option value="">{t('focus.noItem')}</option>
            {inspection.checklist_items.map((c) => (
              <option key={c.item_id} value={c.item_id}>
                {c.item_id} {c.description}
              </option>
            ))}
          </select>
        </label>
      </div>
      <button type="button" onClick={() => void show()}>
        {t('focus.show')}
      </button>
      <p role="status" data-testid="focus-now">
        {f?.site_id
          ? t('focus.now', { site: `${f.site_id} ${f.site_name ?? ''}`, item: f.item_id ? `${f.item_id} ${f.item_description ?? ''}` : t('focus.noItem') })
          : t('focus.unset')}
      </p>
      <ErrorBox error={error ?? focus.error} />
    </Section>
  );
}
