import { useTranslation } from 'react-i18next';
import type { Verification } from '../api/types';

/** A PDF's signature check: every signature (intact, trusted, time-stamped) and what is wrong. */
export function VerificationReport({ report }: { report: Verification }) {
  const { t } = useTranslation();
  const yes = (b: boolean) => (b ? t('common.yes') : t('common.no'));
  return (
    <div data-testid="verification">
      <p role="status" className={report.valid ? 'ok' : 'error'}>
        {report.valid ? t('verify.valid') : t('verify.invalid')}
      </p>
      <p>
        SHA-256: <code>{report.sha256}</code>
      </p>
      {report.signatures.length === 0 ? (
        <p>{t('verify.noSignatures')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('verify.signer')}</th>
              <th scope="col">{t('verify.signedAt')}</th>
              <th scope="col">{t('verify.intact')}</th>
              <th scope="col">{t('verify.trusted')}</th>
              <th scope="col">{t('verify.timestamped')}</th>
            </tr>
          </thead>
          <tbody>
            {report.signatures.map((s) => (
              <tr key={s.field}>
                <td>{s.signer}</td>
                <td>{s.signed_at ?? ''}</td>
                <td>{yes(s.intact && s.valid)}</td>
                <td>{yes(s.trusted)}</td>
                <td>{yes(s.timestamped && s.timestamp_valid)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {report.problems.length > 0 && (
        <ul>
          {report.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
