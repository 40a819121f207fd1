import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { eligibility } from '../../api/eligibility';
import type { Consent } from '../../api/types';
import { ErrorBox } from '../../components/ui';

/** What a consent may cover (GACC-RVI 2; 4(III) recording; 4(IV) electronic service). */
const MATTERS = ['remote_video_inspection', 'key_step_recording', 'electronic_document_delivery'] as const;

/** The representative gives or withdraws the enterprise's consent, for the matters ticked. */
export function ConsentForm({ enterpriseId, consent, onSaved }: {
  enterpriseId: string;
  consent: Consent | null | undefined;
  onSaved: () => void;
}) {
  const { t } = useTranslation();
  const current = Array.isArray(consent?.scope) ? consent.scope : [];
  const [matters, setMatters] = useState<string[]>(current.length ? current : [...MATTERS]);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  const send = async (given: boolean) => {
    setError(null);
    setSaved('');
    try {
      await eligibility.putConsent(enterpriseId, given, given ? matters : null);
      setSaved(given ? t('consent.given') : t('consent.withdrawn'));
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void send(true);
  };
  return (
    <form onSubmit={submit} data-testid="consent-form">
      <fieldset>
        <legend>{t('consent.covers')}</legend>
        {MATTERS.map((m) => (
          <label key={m} className="check">
            <input
              type="checkbox"
              name="scope"
              value={m}
              checked={matters.includes(m)}
              onChange={(e) => setMatters(e.target.checked ? [...matters, m] : matters.filter((x) => x !== m))}
            />
            {t(`consent.matters.${m}`)}
          </label>
        ))}
      </fieldset>
      <p className="muted">{t('consent.note')}</p>
      <div className="actions">
        <button type="submit" className="primary" disabled={matters.length === 0}>
          {t('consent.give')}
        </button>
        {consent?.in_effect && (
          <button type="button" className="danger" onClick={() => void send(false)}>
            {t('consent.withdraw')}
          </button>
        )}
      </div>
      {saved && (
        <p role="status" className="ok">
          {saved}
        </p>
      )}
      <ErrorBox error={error} />
    </form>
  );
}
