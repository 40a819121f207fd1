// DOMAIN 8: per site and checklist item, conforming / non-conforming (with a finding) / not
// verifiable remotely, with the recorded steps of the evidence chain as its evidence. The gateway
// refuses a site whose location is not verified yet (409) and evidence of the wrong kind (422).

import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { gateway, ITEM_RESULTS, type ItemResult } from '../../api/gateway';
import type { Inspection, Manifest, Session } from '../../api/types';
import { ErrorBox, Section, useLoad } from '../../components/ui';
import { SiteSelect } from '../../components/SiteSelect';

export function ResultsPanel({ session, inspection, manifest }: { session: Session; inspection: Inspection; manifest: Manifest | null }) {
  const { t } = useTranslation();
  const results = useLoad(() => gateway.results(session.session_id), [session.session_id], 5000);
  const [site, setSite] = useState(inspection.sites[0]?.site_id ?? '');
  const [item, setItem] = useState(inspection.checklist_items[0]?.item_id ?? '');
  const [result, setResult] = useState<ItemResult>('conforming');
  const [finding, setFinding] = useState('');
  const [evidence, setEvidence] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const steps = (manifest?.entries ?? []).filter((e) => typeof e.entry.step_id === 'string');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(null);
    try {
      await gateway.recordResult(session.session_id, site, item, { result, finding, evidence });
      setSaved(t('results.saved', { site, item }));
      setEvidence([]);
      setFinding('');
      results.reload();
    } catch (err) {
      setError(err);
    }
  };
  const toggle = (stepId: string, on: boolean) =>
    setEvidence((now) => (on ? [...now, stepId] : now.filter((s) => s !== stepId)));
  return (
    <Section title={t('results.title')} id="results">
      <form onSubmit={(e) => void submit(e)} data-testid="results-form" aria-label={t('results.title')}>
        <SiteSelect label={t('results.site')} sites={inspection.sites} value={site} onChange={setSite} />
        <label>
          {t('results.item')}
          <select value={item} onChange={(e) => setItem(e.target.value)}>
            {inspection.checklist_items
              .filter((c) => !inspection.onsite_items.includes(c.item_id))
              .map((c) => (
                <option key={c.item_id} value={c.item_id}>
                  {c.item_id} {c.description}
                </option>
              ))}
          </select>
        </label>
        <fieldset>
          <legend>{t('results.result')}</legend>
          {ITEM_RESULTS.map((r) => (
            <label className="check" key={r}>
              <input type="radio" name="result" value={r} checked={result === r} onChange={() => setResult(r)} />
              {t(`results.values.${r}`)}
            </label>
          ))}
        </fieldset>
        <label>
          {t('results.finding')}
          <textarea value={finding} onChange={(e) => setFinding(e.target.value)} required={result === 'non_conforming'} rows={2} />
        </label>
        <fieldset>
          <legend>{t('results.evidence')}</legend>
          {steps.length === 0 && <p className="muted">{t('results.noSteps')}</p>}
          {steps.map((e) => {
            const stepId = String(e.entry.step_id);
            return (
              <label className="check" key={stepId}>
                <input type="checkbox" checked={evidence.includes(stepId)} onChange={(ev) => toggle(stepId, ev.target.checked)} />
                {t('results.step', { seq: e.seq, kind: String(e.entry.kind ?? ''), note: String(e.entry.note ?? '') })}
                {e.entry.file ? ` (${String(e.entry.file).split('/').pop()})` : ''}
              </label>
            );
          })}
        </fieldset>
        <button type="submit" className="primary">
          {t('results.record')}
        </button>
        {saved && (
          <p role="status" className="ok">
            {saved}
          </p>
        )}
        <ErrorBox error={error} />
      </form>
      <ErrorBox error={results.error} onRetry={results.reload} />
      <table data-testid="results">
        <thead>
          <tr>
            <th scope="col">{t('results.site')}</th>
            <th scope="col">{t('results.item')}</th>
            <th scope="col">{t('results.result')}</th>
            <th scope="col">{t('results.finding')}</th>
            <th scope="col">{t('results.evidence')}</th>
          </tr>
        </thead>
        <tbody>
          {(results.data?.sites ?? []).flatMap((s) =>
            s.items.map((r) => (
              <tr key={`${s.site_id}/${r.item_id}`}>
                <td>{s.site_id}</td>
                <td>{r.item_id}</td>
                <td>{t(`results.values.${r.result}`, { defaultValue: r.result })}</td>
                <td>{r.finding}</td>
                <td>{t('results.evidenceCount', { count: r.evidence.length })}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
    </Section>
  );
}
