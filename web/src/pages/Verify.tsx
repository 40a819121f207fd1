import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { documents } from '../api/documents';
import type { Verification } from '../api/types';
import { ErrorBox, Section } from '../components/ui';
import { VerificationReport } from './VerificationReport';

/** Anyone holding a document checks its signatures, seal and time-stamps (GACC-RVI 4(IV)). */
export function Verify() {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [report, setReport] = useState<Verification | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      setReport(await documents.verifyPdf(file));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>{t('verify.title')}</h1>
      <p>{t('verify.intro')}</p>
      <Section title={t('verify.pdf')} id="verify-pdf">
        <form onSubmit={(e) => void submit(e)}>
          <label>
            {t('verify.choose')}
            <input
              type="file"
              accept="application/pdf"
              name="pdf"
              required
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </label>
          <button type="submit" className="primary" disabled={busy || !file}>
            {t('verify.check')}
          </button>
        </form>
        <ErrorBox error={error} />
        {report && <VerificationReport report={report} />}
      </Section>
    </>
  );
}
