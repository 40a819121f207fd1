import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { documents } from '../../api/documents';
import type { Upload } from '../../api/types';
import { ErrorBox, Section, useLoad, When } from '../../components/ui';

/** The kinds an officer compares with the person on camera (GACC-RVI 4(III)): shown first. */
const BESIDE = ['identity_document', 'power_of_attorney'];

function Preview({ upload }: { upload: Upload }) {
  const { t } = useTranslation();
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let made: string | null = null;
    documents
      .uploadUrl(upload.upload_id)
      .then((u) => {
        made = u;
        setUrl(u);
      })
      .catch(setError);
    return () => {
      if (made) URL.revokeObjectURL(made);
    };
  }, [upload.upload_id]);
  const label = t(`uploads.kinds.${upload.kind}`, { defaultValue: upload.kind });
  if (error) return <ErrorBox error={error} />;
  if (!url) return null;
  return upload.content_type.startsWith('image/') ? (
    <img src={url} alt={t('beside.imageOf', { kind: label })} className="upload-preview" />
  ) : (
    <a href={url} target="_blank" rel="noopener noreferrer">
      {t('beside.openPdf', { kind: label })}
    </a>
  );
}

function CheckAgainstOriginal({ upload, onChecked }: { upload: Upload; onChecked: () => void }) {
  const { t } = useTranslation();
  const [where, setWhere] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const label = t(`uploads.kinds.${upload.kind}`, { defaultValue: upload.kind });
  if (upload.verified_at)
    return (
      <p className="ok" role="status">
        {t('beside.checked', { who: upload.verified_by ?? '' })} <When at={upload.verified_at} />
      </p>
    );
  const mark = async () => {
    setBusy(true);
    setError(null);
    try {
      await documents.markChecked(upload.upload_id, where);
      onChecked();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <label>
        {t('beside.originalKept', { kind: label })}
        <input value={where} onChange={(e) => setWhere(e.target.value)} name={`original-${upload.upload_id}`} />
      </label>
      <button type="button" disabled={busy} onClick={() => void mark()}>
        {t('beside.markChecked', { kind: label })}
      </button>
      <ErrorBox error={error} />
    </>
  );
}

/** The enterprise's uploads (identity document, power of attorney first) beside the live picture,
 *  each marked as checked against the original the representative shows on camera. */
export function UploadsBeside({ inspectionId }: { inspectionId: string }) {
  const { t } = useTranslation();
  const uploads = useLoad(() => documents.uploads(inspectionId), [inspectionId]);
  const rank = (u: Upload) => (BESIDE.includes(u.kind) ? BESIDE.indexOf(u.kind) : BESIDE.length);
  const rows = [...(uploads.data ?? [])].sort((a, b) => rank(a) - rank(b));
  return (
    <Section title={t('beside.title')} id="beside">
      <ErrorBox error={uploads.error} onRetry={uploads.reload} />
      {rows.length === 0 ? (
        <p>{t('beside.none')}</p>
      ) : (
        <ul className="beside" data-testid="uploads-beside">
          {rows.map((u) => (
            <li key={u.upload_id} data-kind={u.kind}>
              <h3>{t(`uploads.kinds.${u.kind}`, { defaultValue: u.kind })}</h3>
              <Preview upload={u} />
              <CheckAgainstOriginal upload={u} onChecked={uploads.reload} />
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}
