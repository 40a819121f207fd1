import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { documents } from '../api/documents';
import { gateway } from '../api/gateway';
import { ErrorBox, Loading, Section, StateBadge, useLoad, When } from '../components/ui';
import { VerificationReport } from './VerificationReport';
import { signatureLine } from '../components/signature';

/** One document: where its service stands, the enterprise's comments and disputes, and the check
 *  of its signatures and seal, with the session's evidence chain it rests on. */
export function DocumentDetails() {
  const { documentId = '' } = useParams();
  const { t } = useTranslation();
  const doc = useLoad(() => documents.get(documentId), [documentId], 15000);
  const deliveries = useLoad(() => documents.deliveries(documentId), [documentId], 15000);
  const comments = useLoad(() => documents.comments(documentId), [documentId], 15000);
  const verification = useLoad(() => documents.verification(documentId), [documentId]);
  const sessionId = doc.data?.session_id ?? null;
  const evidence = useLoad(() => (sessionId ? gateway.verifyEvidence(sessionId) : Promise.resolve(null)), [sessionId]);
  if (doc.loading) return <Loading />;
  const d = doc.data;
  if (!d) return <ErrorBox error={doc.error} onRetry={doc.reload} />;
  const disputes = (comments.data ?? []).filter((c) => c.dispute).length;
  return (
    <>
      <h1>
        {t(`documents.kinds.${d.kind}`, { defaultValue: d.kind })} {d.number ?? ''}
      </h1>
      <dl className="facts">
        <dt>{t('documents.state')}</dt>
        <dd>
          <StateBadge state={d.state} />
        </dd>
        <dt>{t('documents.issued')}</dt>
        <dd>
          <When at={d.issued_at} />
        </dd>
        <dt>{t('documents.signedBy')}</dt>
        <dd>
          {signatureLine(t, d)}
        </dd>
      </dl>
      <Section title={t('service.title')} id="service">
        <dl className="facts" data-testid="service-status">
          <dt>{t('service.due')}</dt>
          <dd>
            <When at={d.service_due_at} />
          </dd>
          <dt>{t('service.served')}</dt>
          <dd>
            <When at={d.served_at} />
          </dd>
          <dt>{t('service.read')}</dt>
          <dd>
            <When at={d.read_at} />
          </dd>
          {d.service_overdue_at && (
            <>
              <dt>{t('service.overdue')}</dt>
              <dd className="error">
                <When at={d.service_overdue_at} />
              </dd>
            </>
          )}
        </dl>
        <ErrorBox error={deliveries.error} onRetry={deliveries.reload} />
        {(deliveries.data ?? []).length === 0 ? (
          <p>{t('service.none')}</p>
        ) : (
          <table data-testid="deliveries">
            <thead>
              <tr>
                <th scope="col">{t('service.channel')}</th>
                <th scope="col">{t('service.state')}</th>
                <th scope="col">{t('service.served')}</th>
                <th scope="col">{t('service.read')}</th>
                <th scope="col">{t('service.detail')}</th>
              </tr>
            </thead>
            <tbody>
              {(deliveries.data ?? []).map((x) => (
                <tr key={x.delivery_id}>
                  <td>{t(`service.channels.${x.channel}`, { defaultValue: x.channel })}</td>
                  <td>{t(`service.states.${x.state}`, { defaultValue: x.state })}</td>
                  <td>
                    <When at={x.served_at} />
                  </td>
                  <td>
                    <When at={x.read_at} />
                  </td>
                  <td>{x.tracking_number ?? x.refused_reason ?? x.address ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <Section title={t('comments.officerTitle', { count: disputes })} id="comments">
        <ErrorBox error={comments.error} onRetry={comments.reload} />
        {(comments.data ?? []).length === 0 ? (
          <p>{t('comments.noneYet')}</p>
        ) : (
          <ul data-testid="officer-comments">
            {(comments.data ?? []).map((c) => (
              <li key={c.comment_id}>
                <When at={c.created_at} />{' '}
                {c.dispute && <span className="badge state-disputed">{t('comments.disputeBadge')}</span>} {c.text}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={t('verify.title')} id="verification">
        <ErrorBox error={verification.error} onRetry={verification.reload} />
        {verification.data ? <VerificationReport report={verification.data} /> : verification.loading && <Loading />}
        {evidence.data && (
          <p role="status" className={evidence.data.ok ? 'ok' : 'error'} data-testid="evidence-check">
            {evidence.data.ok
              ? t('verify.evidenceOk', { entries: evidence.data.entries_checked, files: evidence.data.files_checked })
              : t('verify.evidenceBroken', { detail: evidence.data.first_broken?.detail ?? '' })}
          </p>
        )}
        <ErrorBox error={evidence.error} />
      </Section>
    </>
  );
}
