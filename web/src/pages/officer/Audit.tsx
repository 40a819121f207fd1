// Who joined and left the session's media and which results were recorded, in order
// (GET /v1/sessions/{id}/audit): what a second officer or a supervisor checks afterwards.

import { useTranslation } from 'react-i18next';
import { gateway } from '../../api/gateway';
import type { Session } from '../../api/types';
import { ErrorBox, Section, useLoad, When } from '../../components/ui';

export function AuditTrail({ session }: { session: Session }) {
  const { t } = useTranslation();
  const audit = useLoad(() => gateway.audit(session.session_id), [session.session_id, session.state], 10000);
  return (
    <Section title={t('audit.title')} id="audit">
      <ErrorBox error={audit.error} onRetry={audit.reload} />
      <table data-testid="audit">
        <thead>
          <tr>
            <th scope="col">{t('audit.at')}</th>
            <th scope="col">{t('audit.action')}</th>
            <th scope="col">{t('audit.actor')}</th>
            <th scope="col">{t('audit.detail')}</th>
          </tr>
        </thead>
        <tbody>
          {(audit.data ?? []).map((e, n) => (
            <tr key={`${e.at}-${n}`}>
              <td>
                <When at={e.at} />
              </td>
              <td>{t(`audit.actions.${e.action}`, { defaultValue: e.action })}</td>
              <td>{e.actor}</td>
              <td>
                {Object.entries(e.detail)
                  .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
                  .join(', ')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}
