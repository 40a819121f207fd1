import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { scheduling } from '../../api/scheduling';
import type { Inspection } from '../../api/types';
import { usePrincipal } from '../../App';
import { ErrorBox, Loading, StateBadge, useLoad, When } from '../../components/ui';
import { recentInspections } from '../../recent';

type Range = 'today' | 'week' | 'all';

function inRange(slot: string | null, range: Range): boolean {
  if (range === 'all') return true;
  if (!slot) return false;
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  const end = new Date(start);
  end.setDate(start.getDate() + (range === 'today' ? 1 : 7));
  const at = new Date(slot);
  return at >= start && at < end;
}

/** The inspections list for officers (`base` /officer) and the enterprise (`base` /enterprise). */
export function InspectionsList({ base = '/officer', embedded = false }: { base?: string; embedded?: boolean }) {
  const { t } = useTranslation();
  const principal = usePrincipal();
  const navigate = useNavigate();
  const [range, setRange] = useState<Range>('all');
  const [wanted, setWanted] = useState('');
  const ids = principal ? recentInspections(principal.subject) : [];
  const loaded = useLoad(
    () => Promise.all(ids.map((id) => scheduling.inspection(id).catch(() => null))),
    [ids.join(',')],
  );
  const rows = (loaded.data ?? []).filter((x): x is Inspection => !!x && inRange(x.slot_start, range));
  const open = (e: FormEvent) => {
    e.preventDefault();
    if (wanted.trim()) navigate(`${base}/inspections/${encodeURIComponent(wanted.trim())}`);
  };
  return (
    <>
      {embedded ? (
        <h2>{t('list.recentTitle')}</h2>
      ) : (
        <h1>{base === '/enterprise' ? t('list.enterpriseTitle') : t('list.officerTitle')}</h1>
      )}
      <p>{t('list.intro')}</p>
      <form className="inline" onSubmit={open} aria-label={t('list.openById')}>
        <label>
          {t('list.inspectionId')}
          <input value={wanted} onChange={(e) => setWanted(e.target.value)} name="inspection" />
        </label>
        <button type="submit">{t('list.open')}</button>
      </form>
      <fieldset className="segmented">
        <legend>{t('list.filter')}</legend>
        {(['today', 'week', 'all'] as Range[]).map((r) => (
          <label key={r}>
            <input type="radio" name="range" value={r} checked={range === r} onChange={() => setRange(r)} />
            {t(`list.${r}`)}
          </label>
        ))}
      </fieldset>
      <ErrorBox error={loaded.error} onRetry={loaded.reload} />
      {loaded.loading && ids.length > 0 ? (
        <Loading />
      ) : rows.length === 0 ? (
        <p>{t('list.empty')}</p>
      ) : (
        <table data-testid="recent-inspections">
          <thead>
            <tr>
              <th scope="col">{t('list.enterprise')}</th>
              <th scope="col">{t('list.customs')}</th>
              <th scope="col">{t('list.slot')}</th>
              <th scope="col">{t('list.state')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => (
              <tr key={i.id}>
                <td>
                  <Link to={`${base}/inspections/${encodeURIComponent(i.id)}`}>{i.enterprise_name}</Link>
                </td>
                <td>{i.customs}</td>
                <td>
                  <When at={i.slot_start} />
                </td>
                <td>
                  <StateBadge state={i.state} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
