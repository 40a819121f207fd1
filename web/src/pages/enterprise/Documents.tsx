import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { documents } from '../../api/documents';
import type { DocumentRecord, Signer } from '../../api/types';
import { usePrincipal } from '../../App';
import { ErrorBox, Loading, StateBadge, useLoad, When } from '../../components/ui';

function SignForm({ doc, onSigned }: { doc: DocumentRecord; onSigned: () => void }) {
  const { t } = useTranslation();
  const principal = usePrincipal();
  const [signer, setSigner] = useState(principal?.name ?? '');
  const [seal, setSeal] = useState('');
  const [accept, setAccept] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await documents.sign(doc.document_id, signer, seal);
      onSigned();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-label={t('documents.sign')}>
      <h3>{t('documents.sign')}</h3>
      <label>
        {t('documents.signer')}
        <input required value={signer} onChange={(e) => setSigner(e.target.value)} name="signer_name" autoComplete="name" />
      </label>
      <label>
        {t('documents.seal')}
        <input value={seal} onChange={(e) => setSeal(e.target.value)} name="seal" />
      </label>
      <label className="check">
        <input type="checkbox" required checked={accept} onChange={(e) => setAccept(e.target.checked)} name="accept" />
        {t('documents.accept')}
      </label>
      <button type="submit" className="primary" disabled={!accept}>
        {t('documents.submit')}
      </button>
      <ErrorBox error={error} />
    </form>
  );
}

function Comments({ doc }: { doc: DocumentRecord }) {
  const { t } = useTranslation();
  const list = useLoad(() => documents.comments(doc.document_id), [doc.document_id]);
  const [text, setText] = useState('');
  const [dispute, setDispute] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await documents.comment(doc.document_id, text, dispute);
      setText('');
      setDispute(false);
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={(e) => void submit(e)} aria-label={t('comments.title')}>
      <h3>{t('comments.title')}</h3>
      <ul data-testid="comments">
        {(list.data ?? []).map((c) => (
          <li key={c.comment_id}>
            <When at={c.created_at} /> {c.dispute ? `[${t('comments.disputed')}] ` : ''}
            {c.text}
          </li>
        ))}
      </ul>
      <label>
        {t('comments.text')}
        <textarea required value={text} onChange={(e) => setText(e.target.value)} rows={2} maxLength={5000} />
      </label>
      <label className="check">
        <input type="checkbox" checked={dispute} onChange={(e) => setDispute(e.target.checked)} />
        {t('comments.dispute')}
      </label>
      <button type="submit">{t('comments.send')}</button>
      <ErrorBox error={error ?? list.error} />
    </form>
  );
}

/** Who may sign next, in the page's language. */
export function signerLabels(signers: Signer[], language: string): string {
  return signers.map((s) => (language.startsWith('zh') ? s.label_zh : s.label_en)).join(', ');
}

export function EnterpriseDocuments() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const list = useLoad(() => documents.forInspection(id), [id], 5000);
  const [error, setError] = useState<unknown>(null);
  const openPdf = (documentId: string) =>
    documents
      .pdfUrl(documentId)
      .then((url) => window.open(url, '_blank', 'noopener'))
      .catch(setError);
  if (list.loading) return <Loading />;
  return (
    <>
      <h1>{t('documents.title')}</h1>
      <ErrorBox error={list.error ?? error} onRetry={list.reload} />
      {(list.data ?? []).length === 0 && <p>{t('documents.none')}</p>}
      {(list.data ?? []).map((d) => (
        <article key={d.document_id} className="card" data-testid="document">
          <h2>{t(`documents.kinds.${d.kind}`, { defaultValue: d.kind })}</h2>
          <dl className="facts">
            <dt>{t('documents.number')}</dt>
            <dd>{d.number ?? t('documents.noNumber')}</dd>
            <dt>{t('documents.state')}</dt>
            <dd>
              <StateBadge state={d.state} />
            </dd>
            <dt>{t('documents.issued')}</dt>
            <dd>
              <When at={d.issued_at} />
            </dd>
            <dt>{t('documents.sha')}</dt>
            <dd>
              <code className="hash">{d.sha256}</code>
            </dd>
          </dl>
          <button type="button" onClick={() => void openPdf(d.document_id)}>
            {t('documents.read')}
          </button>
          {d.signed_at ? (
            <p className="ok" role="status">
              {t('documents.signed', { name: d.signer_name, time: new Date(d.signed_at).toLocaleString() })}
            </p>
          ) : d.expected_signers.some((s) => s.key === 'enterprise') ? (
            <SignForm doc={d} onSigned={list.reload} />
          ) : d.expected_signers.length > 0 ? (
            <p className="muted" data-testid="awaiting">
              {t('documents.awaiting', { signers: signerLabels(d.expected_signers, i18n.language) })}
            </p>
          ) : null}
          <Comments doc={d} />
        </article>
      ))}
    </>
  );
}
