import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { scheduling } from '../../api/scheduling';
import type { Inspection } from '../../api/types';
import { usePrincipal } from '../../App';
import { ErrorBox, Loading, Section, StateBadge, useLoad, When } from '../../components/ui';
import { InspectionsList } from './Inspections';

type Span = 'day' | 'week';
const OFFICE_KEY = 'rvi.office';

function localDay(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** [from, to) of the day or the week (Monday first) holding `day`, at local midnight, as RFC 3339. */
function windowOf(day: string, span: Span): { from: string; to: string } {
  const [y, m, d] = day.split('-').map(Number);
  const start = new Date(y, m - 1, d);
  if (span === 'week') start.setDate(start.getDate() - ((start.getDay() + 6) % 7));
  const end = new Date(start);
  end.setDate(start.getDate() + (span === 'day' ? 1 : 7));
  return { from: start.toISOString(), to: end.toISOString() };
}

function DayPlan({ inspection }: { inspection: Inspection }) {
  const { i18n } = useTranslation();
  const time = (at: string) =>
    new Date(at).toLocaleTimeString(i18n.resolvedLanguage, { hour: '2-digit', minute: '2-digit' });
  return (
    <ol className="plan">
      {(inspection.day_plan ?? []).map((v) => (
        <li key={`${v.site_id}-${v.start}`}>
          {v.site_id} {inspection.sites.find((s) => s.site_id === v.site_id)?.name ?? ''} {time(v.start)}–{time(v.end)}
        </li>
      ))}
    </ol>
  );
}

/** The officer's home: the office's (or district's) inspections of a day or a week, from scheduling. */
export function OfficerHome() {
  const { t } = useTranslation();
  const principal = usePrincipal();
  const [office, setOffice] = useState(() => localStorage.getItem(OFFICE_KEY) ?? principal?.district ?? '');
  const [draft, setDraft] = useState(office);
  const [day, setDay] = useState(() => localDay(new Date()));
  const [span, setSpan] = useState<Span>('day');
  const [more, setMore] = useState(0);
  const range = windowOf(day, span);
  const loaded = useLoad(
    async () => {
      const items: Inspection[] = [];
      let cursor: string | undefined;
      if (!office) return { items, next: null as string | null };
      for (let n = 0; n <= more; n++) {
        const page = await scheduling.list({ district: office, ...range, cursor });
        items.push(...page.items);
        cursor = page.next_cursor ?? undefined;
        if (!cursor) break;
      }
      return { items, next: cursor ?? null };
    },
    [office, range.from, range.to, more],
    30000,
  );
  const choose = (e: FormEvent) => {
    e.preventDefault();
    localStorage.setItem(OFFICE_KEY, draft.trim());
    setOffice(draft.trim());
    setMore(0);
  };
  const rows = loaded.data?.items ?? [];
  return (
    <>
      <h1>{t('officerHome.title')}</h1>
      <form className="inline" onSubmit={choose} aria-label={t('officerHome.where')}>
        <label>
          {t('officerHome.office')}
          <input value={draft} onChange={(e) => setDraft(e.target.value)} name="office" required />
        </label>
        <button type="submit">{t('officerHome.show')}</button>
      </form>
      <div className="inline">
        <label>
          {t('officerHome.date')}
          <input type="date" value={day} onChange={(e) => e.target.value && setDay(e.target.value)} name="day" />
        </label>
        <fieldset className="segmented">
          <legend>{t('list.filter')}</legend>
          {(['day', 'week'] as Span[]).map((s) => (
            <label key={s}>
              <input type="radio" name="span" value={s} checked={span === s} onChange={() => setSpan(s)} />
              {t(`officerHome.${s}`)}
            </label>
          ))}
        </fieldset>
        <button type="button" onClick={() => setDay(localDay(new Date()))}>
          {t('list.today')}
        </button>
      </div>
      <Section title={t('officerHome.listTitle', { office })} id="office-inspections">
        <ErrorBox error={loaded.error} onRetry={loaded.reload} />
        {loaded.loading ? (
          <Loading />
        ) : rows.length === 0 ? (
          <p>{t('officerHome.empty')}</p>
        ) : (
          <table data-testid="office-inspections">
            <thead>
              <tr>
                <th scope="col">{t('list.slot')}</th>
                <th scope="col">{t('list.enterprise')}</th>
                <th scope="col">{t('list.customs')}</th>
                <th scope="col">{t('list.state')}</th>
                <th scope="col">{t('inspection.dayPlan')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((i) => (
                <tr key={i.id}>
                  <td>
                    <When at={i.slot_start} />
                  </td>
                  <td>
                    <Link to={`/officer/inspections/${encodeURIComponent(i.id)}`}>{i.enterprise_name}</Link>
                  </td>
                  <td>{i.customs}</td>
                  <td>
                    <StateBadge state={i.state} />
                  </td>
                  <td>
                    <DayPlan inspection={i} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {loaded.data?.next && (
          <button type="button" onClick={() => setMore(more + 1)}>
            {t('officerHome.more')}
          </button>
        )}
      </Section>
      <InspectionsList embedded />
    </>
  );
}
