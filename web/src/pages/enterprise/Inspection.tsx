import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { eligibility } from '../../api/eligibility';
import { documents, UPLOAD_KINDS } from '../../api/documents';
import { gateway } from '../../api/gateway';
import { scheduling } from '../../api/scheduling';
import type { EquipmentTest, Inspection } from '../../api/types';
import { usePrincipal } from '../../App';
import { ErrorBox, Loading, Section, StateBadge, useLoad, When } from '../../components/ui';
import { cameraProblem, openCamera, stopStream } from '../../media/camera';
import { qualityMeter, type Quality } from '../../media/stats';
import { publish, type MediaSession } from '../../media/whip';
import { QualityPanel } from '../officer/LiveSession';
import { missingText } from '../../readiness';
import { rememberInspection } from '../../recent';
import { ConsentForm } from './ConsentForm';

const FIGURES: [string, string, string][] = [
  // measurement key, threshold key, unit
  ['width', 'min_width', 'px'],
  ['height', 'min_height', 'px'],
  ['fps', 'min_fps', 'fps'],
  ['bitrate_kbps', 'min_bitrate_kbps', 'kb/s'],
  ['loss_pct', 'max_loss_pct', '%'],
  ['rtt_ms', 'max_rtt_ms', 'ms'],
];

function UploadsPanel({ inspectionId, required, onUploaded }: { inspectionId: string; required: string[]; onUploaded: () => void }) {
  const { t } = useTranslation();
  const list = useLoad(() => documents.uploads(inspectionId), [inspectionId]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const send = async (kind: string, file: File | undefined) => {
    if (!file) return;
    setError(null);
    setBusy(kind);
    try {
      await documents.upload(inspectionId, kind, file);
      list.reload();
      onUploaded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  const kinds = [...new Set([...required, ...UPLOAD_KINDS])];
  return (
    <Section title={t('uploads.title')} id="uploads">
      <p>{t('uploads.intro')}</p>
      <ul className="uploads" data-testid="uploads">
        {kinds.map((kind) => {
          const done = (list.data ?? []).filter((u) => u.kind === kind);
          return (
            <li key={kind} data-kind={kind}>
              <label>
                {t(`uploads.kinds.${kind}`, { defaultValue: kind })}
                {required.includes(kind) ? ` (${t('uploads.required')})` : ''}
                <input
                  type="file"
                  accept="application/pdf,image/png,image/jpeg"
                  disabled={busy !== null}
                  onChange={(e) => void send(kind, e.target.files?.[0])}
                />
              </label>
              {busy === kind && <span role="status"> {t('uploads.sending')}</span>}
              {done.map((u) => (
                <span key={u.upload_id} className="ok" role="status">
                  {' '}
                  {t('uploads.received', { name: u.filename ?? u.kind, sha: u.sha256.slice(0, 12) })}
                </span>
              ))}
            </li>
          );
        })}
      </ul>
      <ErrorBox error={error ?? list.error} />
    </Section>
  );
}

function SlotChoice({ inspection, onChosen }: { inspection: Inspection; onChosen: () => void }) {
  const { t } = useTranslation();
  const booked = (o: { slot_start: string }) => Date.parse(o.slot_start) === Date.parse(inspection.slot_start ?? '');
  const current = inspection.offered_slots.find(booked)?.offer_id ?? '';
  const [offer, setOffer] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  if (inspection.offered_slots.length === 0 || !['scheduled', 'ready'].includes(inspection.state)) return null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    try {
      await scheduling.chooseSlot(inspection.id, offer);
      setDone(true);
      onChosen();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Section title={t('slots.title')} id="slots">
      <form onSubmit={(e) => void submit(e)} data-testid="slot-choice">
        <fieldset>
          <legend>{t('slots.intro')}</legend>
          {inspection.offered_slots.map((o) => (
            <label className="check" key={o.offer_id}>
              <input type="radio" name="offer" value={o.offer_id} checked={(offer || current) === o.offer_id} onChange={() => setOffer(o.offer_id)} />
              <When at={o.slot_start} />
              {booked(o) ? ` (${t('slots.current')})` : ''}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={!offer || offer === current}>
          {t('slots.choose')}
        </button>
        {done && (
          <p role="status" className="ok">
            {t('slots.chosen')}
          </p>
        )}
        <ErrorBox error={error} />
      </form>
    </Section>
  );
}

function EquipmentTestPanel({ inspectionId, onResult }: { inspectionId: string; onResult: (passed: boolean) => void }) {
  const { t } = useTranslation();
  const [test, setTest] = useState<EquipmentTest | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const [local, setLocal] = useState<Quality | null>(null);
  const cleanup = useRef<() => void>(() => undefined);
  useEffect(() => () => cleanup.current(), []);
  const run = async () => {
    setError(null);
    setRunning(true);
    let stream: MediaStream | null = null;
    let media: MediaSession | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    cleanup.current = () => {
      if (timer) clearInterval(timer);
      void media?.close();
      stopStream(stream);
    };
    try {
      stream = await openCamera(true, false);
      const created = await gateway.startEquipmentTest(inspectionId);
      setTest(created);
      media = await publish(created.whip_url ?? '', created.publish_token ?? '', stream);
      const measure = qualityMeter(media.pc, 'outbound');
      timer = setInterval(() => void measure().then(setLocal), 1000);
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        const now = await gateway.equipmentTest(created.test_id);
        setTest(now);
        if (now.state !== 'waiting') {
          // The gateway ends the test's WHIP resource with its verdict: nothing left to DELETE.
          void media.close(false);
          media = null;
          onResult(now.state === 'passed');
          break;
        }
      }
    } catch (err) {
      const problem = cameraProblem(err);
      setError(problem === 'other' ? err : new Error(t(`publish.${problem}`)));
    } finally {
      cleanup.current();
      setRunning(false);
    }
  };
  const m = test?.measurement ?? null;
  return (
    <Section title={t('enterprise.equipment')} id="equipment">
      <p>{t('enterprise.equipmentIntro')}</p>
      <button type="button" onClick={() => void run()} disabled={running}>
        {running ? t('enterprise.equipmentRunning') : t('enterprise.equipmentStart')}
      </button>
      <ErrorBox error={error} />
      {running && (
        <>
          <h3>{t('enterprise.sendingNow')}</h3>
          <QualityPanel quality={local} />
        </>
      )}
      {test && test.state !== 'waiting' && (
        <p role="status" className={test.state === 'passed' ? 'ok' : 'error'} data-testid="equipment-verdict" data-state={test.state}>
          {test.state === 'passed'
            ? t('enterprise.equipmentPassed')
            : t('enterprise.equipmentFailed', { failures: test.failures.join('; ') })}
        </p>
      )}
      {test && (
        <table>
          <thead>
            <tr>
              <th scope="col">
                <span className="visually-hidden">{t('enterprise.equipment')}</span>
              </th>
              <th scope="col">{t('enterprise.measured')}</th>
              <th scope="col">{t('enterprise.threshold')}</th>
            </tr>
          </thead>
          <tbody>
            {FIGURES.map(([key, threshold, unit]) => (
              <tr key={key}>
                <th scope="row">{t(`enterprise.figures.${key}`)}</th>
                <td>{m && typeof m[key] === 'number' ? `${Math.round(m[key] * 10) / 10} ${unit}` : '–'}</td>
                <td>{test.thresholds[threshold] !== undefined ? `${test.thresholds[threshold]} ${unit}` : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

export function EnterpriseInspection() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const principal = usePrincipal();
  const inspection = useLoad(() => scheduling.inspection(id), [id], 10000);
  const standing = useLoad(
    () => (principal?.enterpriseId ? eligibility.enterprise(principal.enterpriseId) : Promise.resolve(null)),
    [principal?.enterpriseId],
  );
  const [contact, setContact] = useState(principal?.name ?? '');
  const [error, setError] = useState<unknown>(null);
  const [confirmed, setConfirmed] = useState(false);
  useEffect(() => {
    if (principal && inspection.data) rememberInspection(principal.subject, id);
  }, [principal, inspection.data, id]);
  if (inspection.loading) return <Loading />;
  const i = inspection.data;
  if (!i) return <ErrorBox error={inspection.error} onRetry={inspection.reload} />;
  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await scheduling.confirmReadiness(id, { contact_name: contact || null });
      setConfirmed(true);
      inspection.reload();
    } catch (err) {
      setError(err);
      inspection.reload();
    }
  };
  const consent = standing.data?.consent;
  const base = `/enterprise/inspections/${encodeURIComponent(id)}`;
  return (
    <>
      <h1>{t('enterprise.notice')}</h1>
      <p>{t('enterprise.noticeText', { customs: i.customs })}</p>
      <dl className="facts">
        <dt>{t('inspection.state')}</dt>
        <dd>
          <StateBadge state={i.state} />
        </dd>
        <dt>{t('inspection.slot')}</dt>
        <dd>
          <When at={i.slot_start} /> – <When at={i.slot_end} />
        </dd>
        <dt>{t('inspection.team')}</dt>
        <dd>{i.officers.map((o) => `${o.name} (${t('inspection.credential', { no: o.credential_no })})`).join(', ')}</dd>
        <dt>{t('inspection.sites')}</dt>
        <dd>{i.sites.map((s) => s.name).join(', ')}</dd>
      </dl>
      <nav className="actions" aria-label={t('enterprise.notice')}>
        <Link className="button primary" to={`${base}/publish`}>
          {t('enterprise.join')}
        </Link>
        <Link className="button" to={`${base}/documents`}>
          {t('enterprise.documents')}
        </Link>
      </nav>
      <SlotChoice inspection={i} onChosen={() => inspection.reload()} />
      <Section title={t('enterprise.requirements')} id="requirements">
        <ul>
          <li>{t('enterprise.req.equipment')}</li>
          <li>{t('enterprise.req.documents')}</li>
          <li>{t('enterprise.req.representative')}</li>
          <li>{t('enterprise.req.sites')}</li>
        </ul>
      </Section>
      <Section title={t('enterprise.consent')} id="consent">
        <ErrorBox error={standing.error} onRetry={standing.reload} />
        {consent && (
          <dl className="facts">
            <dt>{t('enterprise.consentInEffect')}</dt>
            <dd>{consent.in_effect ? t('common.yes') : t('common.no')}</dd>
            <dt>{t('enterprise.consentCovers')}</dt>
            <dd>{consent.covers_remote_video_inspection ? t('common.yes') : t('common.no')}</dd>
            <dt>{t('enterprise.consentScope')}</dt>
            <dd>{Array.isArray(consent.scope) ? consent.scope.join(', ') : consent.scope ?? t('common.none')}</dd>
          </dl>
        )}
        <ConsentForm enterpriseId={i.enterprise_id} consent={consent} onSaved={standing.reload} />
      </Section>
      <UploadsPanel
        inspectionId={id}
        required={i.required_documents ?? []}
        onUploaded={() => {
          setError(null); // a refusal for a missing upload no longer holds
          inspection.reload();
        }}
      />
      <EquipmentTestPanel inspectionId={id} onResult={() => inspection.reload()} />
      <Section title={t('enterprise.readiness')} id="readiness">
        {confirmed || i.state === 'ready' ? (
          <p role="status" className="ok">
            {t('enterprise.confirmed')}
          </p>
        ) : (
          <form onSubmit={(e) => void confirm(e)}>
            {(i.readiness_missing ?? []).length > 0 ? (
              <>
                <p>{t('readiness.missing')}</p>
                <ul data-testid="readiness-missing">
                  {i.readiness_missing.map((m) => (
                    <li key={m}>{missingText(t, m)}</li>
                  ))}
                </ul>
              </>
            ) : (
              <p className="ok" data-testid="readiness-complete">
                {t('readiness.complete')}
              </p>
            )}
            <label>
              {t('enterprise.contact')}
              <input value={contact} onChange={(e) => setContact(e.target.value)} name="contact" autoComplete="name" />
            </label>
            <button type="submit" className="primary">
              {t('enterprise.confirm')}
            </button>
            <ErrorBox error={error} />
          </form>
        )}
      </Section>
    </>
  );
}
