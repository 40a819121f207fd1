import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { documents } from '../../api/documents';
import { eligibility } from '../../api/eligibility';
import { scheduling } from '../../api/scheduling';
import { usePrincipal } from '../../App';
import { ErrorBox, Loading, Section, StateBadge, useLoad, When } from '../../components/ui';
import { rememberInspection } from '../../recent';
import { signerLabels } from '../enterprise/Documents';
import { signatureLine } from '../../components/signature';

export function InspectionPage() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const principal = usePrincipal();
  const [signing, setSigning] = useState<string | null>(null);
  const signAsOfficer = async (documentId: string) => {
    setPdfError(null);
    setSigning(documentId);
    try {
      await documents.signAsOfficer(documentId);
      docs.reload();
    } catch (err) {
      setPdfError(err);
    } finally {
      setSigning(null);
    }
  };
  const myTurn = `officer:${principal?.credentialNo ?? ''}`;
  const inspection = useLoad(() => scheduling.inspection(id), [id], 10000);
  const docs = useLoad(() => documents.forInspection(id), [id], 10000);
  const [pdfError, setPdfError] = useState<unknown>(null);
  const timeline = useLoad(() => scheduling.timeline(id), [id], 10000);
  const decisionId = inspection.data?.decision_id ?? null;
  const decision = useLoad(() => (decisionId ? eligibility.decisionById(decisionId) : Promise.resolve(null)), [decisionId]);
  useEffect(() => {
    if (principal && inspection.data) rememberInspection(principal.subject, id);
  }, [principal, inspection.data, id]);

  if (inspection.loading) return <Loading />;
  const i = inspection.data;
  if (!i) return <ErrorBox error={inspection.error} onRetry={inspection.reload} />;
  const d = decision.data;
  return (
    <>
      <h1>{t('inspection.title', { name: i.enterprise_name })}</h1>
      <dl className="facts">
        <dt>{t('inspection.state')}</dt>
        <dd>
          <StateBadge state={i.state} /> {i.state_reason}
        </dd>
        <dt>{t('inspection.enterprise')}</dt>
        <dd>
          {i.enterprise_name} ({i.enterprise_id})
        </dd>
        <dt>{t('inspection.customs')}</dt>
        <dd>{i.customs}</dd>
        <dt>{t('inspection.slot')}</dt>
        <dd>
          <When at={i.slot_start} /> – <When at={i.slot_end} />
        </dd>
        <dt>{t('inspection.noticeSent')}</dt>
        <dd>
          <When at={i.notice_sent_at} />
        </dd>
        <dt>{t('inspection.team')}</dt>
        <dd>
          {i.officers.map((o) => `${o.name} (${t('inspection.credential', { no: o.credential_no })})`).join(', ')}
        </dd>
      </dl>
      <p>
        <Link className="button primary" to={`/officer/inspections/${encodeURIComponent(id)}/live`}>
          {t('inspection.live')}
        </Link>
      </p>
      <Section title={t('inspection.sites')} id="sites">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('inspection.site')}</th>
              <th scope="col">{t('inspection.coordinates')}</th>
              <th scope="col">{t('inspection.address')}</th>
            </tr>
          </thead>
          <tbody>
            {i.sites.map((s) => (
              <tr key={s.site_id}>
                <td>
                  {s.site_id} {s.name}
                </td>
                <td>
                  {s.latitude.toFixed(4)}, {s.longitude.toFixed(4)}
                </td>
                <td>{s.address ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title={t('inspection.checklist')} id="checklist">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('inspection.item')}</th>
              <th scope="col">{t('inspection.description')}</th>
              <th scope="col">{t('inspection.category')}</th>
            </tr>
          </thead>
          <tbody>
            {i.checklist_items.map((c) => (
              <tr key={c.item_id}>
                <td>{c.item_id}</td>
                <td>
                  {c.description} {i.onsite_items.includes(c.item_id) && <span className="badge">{t('inspection.onsite')}</span>}
                </td>
                <td>{c.category ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title={t('inspection.decision')} id="decision">
        <ErrorBox error={decision.error} onRetry={decision.reload} />
        {!d ? (
          <p>{t('inspection.noDecision')}</p>
        ) : (
          <>
            <dl className="facts">
              <dt>{t('inspection.outcome')}</dt>
              <dd>{d.outcome}</dd>
              <dt>{t('inspection.remoteAllowed')}</dt>
              <dd>{d.remote_allowed ? t('common.yes') : t('common.no')}</dd>
              <dt>{t('inspection.ruleSet')}</dt>
              <dd>{d.rule_set_version}</dd>
            </dl>
            <h3>{t('inspection.reasons')}</h3>
            {d.reasons.length === 0 ? (
              <p>{t('inspection.noReasons')}</p>
            ) : (
              <ul>
                {d.reasons.map((r, n) => (
                  <li key={n}>
                    {String(r.message ?? r.rule_id ?? '')}{' '}
                    {r.reference && (
                      <span className="ref">
                        {t('inspection.reference')}: {String(r.reference)}
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </Section>
      <Section title={t('inspection.dayPlan')} id="day-plan">
        {(i.day_plan ?? []).length === 0 ? (
          <p>{t('common.none')}</p>
        ) : (
          <table data-testid="day-plan">
            <thead>
              <tr>
                <th scope="col">{t('inspection.sites')}</th>
                <th scope="col">{t('inspection.from')}</th>
                <th scope="col">{t('inspection.until')}</th>
              </tr>
            </thead>
            <tbody>
              {i.day_plan.map((v) => (
                <tr key={`${v.site_id}-${v.start}`}>
                  <td>
                    {v.site_id} {i.sites.find((s) => s.site_id === v.site_id)?.name ?? ''}
                  </td>
                  <td>
                    <When at={v.start} />
                  </td>
                  <td>
                    <When at={v.end} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title={t('documents.forOfficer')} id="documents">
        <ErrorBox error={docs.error ?? pdfError} onRetry={docs.reload} />
        {(docs.data ?? []).length === 0 ? (
          <p>{t('documents.none')}</p>
        ) : (
          <table data-testid="officer-documents">
            <thead>
              <tr>
                <th scope="col">{t('documents.kind')}</th>
                <th scope="col">{t('documents.number')}</th>
                <th scope="col">{t('documents.state')}</th>
                <th scope="col">{t('documents.issued')}</th>
                <th scope="col">{t('documents.signedBy')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('documents.read')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(docs.data ?? []).map((d) => (
                <tr key={d.document_id} data-kind={d.kind}>
                  <td>{t(`documents.kinds.${d.kind}`, { defaultValue: d.kind })}</td>
                  <td>{d.number ?? t('documents.noNumber')}</td>
                  <td>
                    <StateBadge state={d.state} />
                  </td>
                  <td>
                    <When at={d.issued_at} />
                  </td>
                  <td>
                    {signatureLine(t, d)}
                    {d.signed_slots.filter((s) => s.startsWith('officer:')).length > 0 && (
                      <span className="muted">
                        {' '}
                        · {t('documents.officersSigned', { who: d.signed_slots.filter((s) => s.startsWith('officer:')).map((s) => s.slice(8)).join(', ') })}
                      </span>
                    )}
                    {d.expected_signers.length > 0 && (
                      <span className="muted">
                        {' '}
                        · {t('documents.awaiting', { signers: signerLabels(d.expected_signers, i18n.language) })}
                      </span>
                    )}
                  </td>
                  <td>
                    <button
                      type="button"
                      onClick={() =>
                        void documents
                          .pdfUrl(d.document_id)
                          .then((url) => window.open(url, '_blank', 'noopener'))
                          .catch(setPdfError)
                      }
                    >
                      {t('documents.read')}
                    </button>
                    <Link to={`/documents/${encodeURIComponent(d.document_id)}`} className="button">
                      {t('documents.details')}
                    </Link>
                    {d.expected_signers.some((s) => s.key === myTurn) && (
                      <button
                        type="button"
                        className="primary"
                        disabled={signing !== null}
                        onClick={() => void signAsOfficer(d.document_id)}
                      >
                        {t('documents.signAsOfficer')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title={t('inspection.timeline')} id="timeline">
        <ErrorBox error={timeline.error} onRetry={timeline.reload} />
        <ol className="timeline">
          {(timeline.data ?? []).map((e) => (
            <li key={e.seq}>
              <When at={e.time} /> <code>{e.type}</code> <span className="muted">{e.source}</span>
            </li>
          ))}
        </ol>
      </Section>
    </>
  );
}
