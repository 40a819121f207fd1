import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { ESCALATION_CODES, FIXED_STEP_KINDS, gateway, type EscalationCode } from '../../api/gateway';
import { ApiError } from '../../api/http';
import { scheduling } from '../../api/scheduling';
import type { Feed, Inspection, Manifest, ManifestEntry, Recording, Session } from '../../api/types';
import { ErrorBox, Loading, Section, StateBadge, useDraft, useLoad } from '../../components/ui';
import { qualityMeter, type Quality } from '../../media/stats';
import { view, type MediaSession } from '../../media/whip';
import { AuditTrail } from './Audit';
import { FocusPanel } from './FocusPanel';
import { ResultsPanel } from './Results';
import { TalkBack } from './TalkBack';
import { UploadsBeside } from './UploadsBeside';
import { SiteSelect } from '../../components/SiteSelect';

function fmt(n: number | null, digits = 0): string {
  return n === null || Number.isNaN(n) ? '–' : n.toFixed(digits);
}

export function QualityPanel({ quality }: { quality: Quality | null }) {
  const { t } = useTranslation();
  return (
    <dl className="quality" aria-live="off">
      <dt>{t('live.bitrate')}</dt>
      <dd data-testid="bitrate">{fmt(quality?.bitrateKbps ?? null)} kb/s</dd>
      <dt>{t('live.loss')}</dt>
      <dd data-testid="loss">{fmt(quality?.lossPct ?? null, 1)} %</dd>
      <dt>{t('live.rtt')}</dt>
      <dd data-testid="rtt">{fmt(quality?.rttMs ?? null)} ms</dd>
      <dt>{t('live.resolution')}</dt>
      <dd>{quality?.width ? `${quality.width}×${quality.height}` : '–'}</dd>
      <dt>{t('live.fps')}</dt>
      <dd>{fmt(quality?.fps ?? null)}</dd>
    </dl>
  );
}

/** The enterprise's camera over WHEP, with connection quality from getStats. */
function Viewer({ session, feed, over }: { session: Session; feed: Feed; over: { current: boolean } }) {
  const { t } = useTranslation();
  const video = useRef<HTMLVideoElement>(null);
  const [quality, setQuality] = useState<Quality | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let media: MediaSession | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    let cancelled = false;
    (async () => {
      const issued = await gateway.feedTokens(session.session_id, feed.feed_id, 'view');
      media = await view(issued.whep_url, issued.view_token ?? '', (stream) => {
        if (video.current && video.current.srcObject !== stream) video.current.srcObject = stream;
      });
      if (cancelled) return void media.close();
      const measure = qualityMeter(media.pc, 'inbound');
      timer = setInterval(() => void measure().then(setQuality), 1000);
      media.pc.addEventListener('connectionstatechange', () => {
        if (media && (media.pc.connectionState === 'failed' || media.pc.connectionState === 'disconnected')) {
          setError(new Error(t('live.feedLost', { reason: media.pc.connectionState })));
          setTimeout(() => setAttempt((n) => n + 1), 3000);
        }
      });
      setError(null);
    })().catch((err) => {
      if (!cancelled) {
        setError(err);
        setTimeout(() => setAttempt((n) => n + 1), 5000);
      }
    });
    return () => {
      cancelled = true;
      if (timer) clearInterval(timer);
      // Ending or escalating the session lets its viewers go: nothing left to DELETE then.
      void media?.close(!over.current);
    };
  }, [session.session_id, feed.feed_id, attempt, t, over]);
  return (
    <figure className="viewer">
      <video
        ref={video}
        autoPlay
        playsInline
        muted
        data-testid="officer-video"
        aria-label={t('live.videoLabel', { label: feed.label || feed.feed_id })}
      />
      <figcaption>
        {feed.label} <StateBadge state={feed.state} />
      </figcaption>
      <ErrorBox error={error} />
      <h3>{t('live.quality')}</h3>
      <QualityPanel quality={quality} />
    </figure>
  );
}

function StepPanel({ session, inspection, feed, onRecorded }: {
  session: Session;
  inspection: Inspection;
  feed: Feed | null;
  onRecorded: () => void;
}) {
  const { t } = useTranslation();
  const [kind, setKind] = useState<string>('credentials_presented');
  const [siteId, setSiteId] = useState('');
  const [note, setNote, clearNote] = useDraft(`${session.session_id}.note`);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [recording, setRecording] = useState<Recording | null>(null);
  const step = () => ({ kind, note, site_id: siteId || null });
  const run = async (action: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    try {
      setMessage(await action());
      clearNote();
      onRecorded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title={t('live.step')} id="step">
      <div className="grid2">
        <label>
          {t('live.kind')}
          <select value={kind} onChange={(e) => setKind(e.target.value)} name="kind">
            {FIXED_STEP_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`live.kinds.${k}`)}
              </option>
            ))}
            {inspection.checklist_items.map((c) => (
              <option key={c.item_id} value={`checklist_item:${c.item_id}`}>
                {t('live.kinds.checklist', { id: c.item_id, description: c.description })}
              </option>
            ))}
          </select>
        </label>
        <SiteSelect
          label={t('live.site')}
          sites={inspection.sites}
          value={siteId}
          onChange={setSiteId}
          name="site"
          empty={t('live.noSite')}
        />
      </div>
      <label>
        {t('live.note')}
        <textarea value={note} onChange={(e) => setNote(e.target.value)} name="note" rows={2} />
      </label>
      <div className="actions">
        {feed && !recording && (
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                setRecording(await gateway.startRecording(session.session_id, feed.feed_id, step()));
                return t('live.recording');
              })
            }
          >
            {t('live.recordClip')}
          </button>
        )}
        {recording && (
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                const closed = await gateway.stopRecording(session.session_id, recording.recording_id);
                setRecording(null);
                return t('live.clipClosed', { sha: (closed.sha256 ?? '').slice(0, 12), seq: closed.manifest_seq });
              })
            }
          >
            {t('live.stopClip')}
          </button>
        )}
        {feed && (
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                const taken = await gateway.snapshot(session.session_id, feed.feed_id, step());
                return t('live.recorded', { seq: taken.seq });
              })
            }
          >
            {t('live.snapshot')}
          </button>
        )}
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            void run(async () => {
              const entry = await gateway.recordStep(session.session_id, step());
              return t('live.recorded', { seq: entry.seq });
            })
          }
        >
          {t('live.stepOnly')}
        </button>
      </div>
      {message && (
        <p role="status" className="ok">
          {message}
        </p>
      )}
      <ErrorBox error={error} />
    </Section>
  );
}

/** GACC-RVI 4(III): per site, the latest location check on the evidence chain. */
function SiteLocations({ inspection, manifest }: { inspection: Inspection; manifest: Manifest | null }) {
  const { t } = useTranslation();
  const latest = new Map<string, ManifestEntry['entry']>();
  for (const e of manifest?.entries ?? []) {
    if (e.entry.kind === 'location_verified' && e.entry.site) latest.set(String(e.entry.site), e.entry);
  }
  const status = (entry: ManifestEntry['entry'] | undefined) => {
    if (!entry) return t('live.locNone');
    const location = entry.location as { result?: string; distance_m?: number } | undefined;
    if (!location) return t('live.locOfficer');
    const distance = Math.round(location.distance_m ?? 0);
    return location.result === 'pass' ? t('live.locPass', { distance }) : t('live.locFail', { distance });
  };
  return (
    <Section title={t('live.sites')} id="sites">
      <ul data-testid="site-locations">
        {inspection.sites.map((s) => (
          <li key={s.site_id}>
            {s.site_id} {s.name}: {status(latest.get(s.site_id))}
          </li>
        ))}
      </ul>
    </Section>
  );
}

function CloseForms({ session, onDone }: { session: Session; onDone: () => void }) {
  const { t } = useTranslation();
  const [code, setCode] = useState<EscalationCode>('5(I)');
  const [reason, setReason, clearReason] = useDraft(`${session.session_id}.reason`);
  const [conclusion, setConclusion, clearConclusion] = useDraft(`${session.session_id}.conclusion`);
  const [error, setError] = useState<unknown>(null);
  const submit = (action: () => Promise<unknown>) => async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await action();
      clearReason();
      clearConclusion();
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  const roman = (c: EscalationCode) => c.slice(2, -1);
  return (
    <>
      <ErrorBox error={error} />
      <Section title={t('live.end')} id="end">
        <form onSubmit={submit(() => gateway.end(session.session_id, conclusion))}>
          <label>
            {t('live.conclusion')}
            <textarea required value={conclusion} onChange={(e) => setConclusion(e.target.value)} name="conclusion" rows={3} />
          </label>
          <button type="submit" className="primary">
            {t('live.endSubmit')}
          </button>
        </form>
      </Section>
      <Section title={t('live.escalate')} id="escalate">
        <form onSubmit={submit(() => gateway.escalate(session.session_id, code, reason))}>
          <label>
            {t('live.reasonCode')}
            <select value={code} onChange={(e) => setCode(e.target.value as EscalationCode)} name="reason_code">
              {ESCALATION_CODES.map((c) => (
                <option key={c} value={c}>
                  {t(`live.codes.${roman(c)}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('live.reason')}
            <textarea required value={reason} onChange={(e) => setReason(e.target.value)} name="reason" rows={2} />
          </label>
          <button type="submit" className="danger">
            {t('live.escalateSubmit')}
          </button>
        </form>
      </Section>
    </>
  );
}

export function LiveSession() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  // The gateway opens the session once the inspection is ready: no asking before that.
  const inspection = useLoad(() => scheduling.inspection(id), [id], 4000);
  const ready = !['requested', 'scheduled'].includes(inspection.data?.state ?? 'requested');
  const session = useLoad(
    () =>
      ready
        ? gateway.sessionFor(id).catch((e) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e)))
        : Promise.resolve(null),
    [id, ready],
    4000,
  );
  const s = session.data;
  const active = s?.state === 'in_progress';
  const feeds = useLoad(() => (s && active ? gateway.feeds(s.session_id) : Promise.resolve([])), [s?.session_id, active], 3000);
  const manifest = useLoad(
    () => (s ? gateway.manifest(s.session_id) : Promise.resolve(null)),
    [s?.session_id, s?.state],
    active ? 5000 : undefined,
  );
  const [error, setError] = useState<unknown>(null);
  const over = useRef(false);
  if (inspection.loading || session.loading) return <Loading />;
  if (!inspection.data) return <ErrorBox error={inspection.error} onRetry={inspection.reload} />;
  // The enterprise's camera; a talk-back feed is the officers' own voice.
  const liveFeed = (feeds.data ?? []).find((f) => f.state === 'live' && f.kind !== 'talkback') ?? null;
  const refresh = () => {
    inspection.reload();
    session.reload();
    manifest.reload();
  };
  return (
    <>
      <h1>
        {t('live.title')}: {inspection.data.enterprise_name}
      </h1>
      <ErrorBox error={session.error ?? error} onRetry={session.reload} />
      {!s ? (
        <p>{t('live.noSession')}</p>
      ) : (
        <>
          <p>
            {t('live.state')}: <StateBadge state={s.state} />
          </p>
          {s.state === 'open' && (
            <button
              type="button"
              className="primary"
              onClick={() => void gateway.start(s.session_id).then(refresh, setError)}
            >
              {t('live.start')}
            </button>
          )}
          {s.state === 'ended' && <p role="status">{t('live.ended', { conclusion: s.conclusion })}</p>}
          {s.state === 'escalated' && <p role="status">{t('live.escalated', { code: s.escalation_code })}</p>}
          {active && (
            <div className="live-grid">
              <Section title={t('live.camera')} id="camera">
                {liveFeed ? <Viewer key={liveFeed.feed_id} session={s} feed={liveFeed} over={over} /> : <p role="status">{t('live.noFeed')}</p>}
              </Section>
              <UploadsBeside inspectionId={id} />
              <TalkBack session={s} over={over} />
              <div>
                <FocusPanel session={s} inspection={inspection.data} />
                <StepPanel session={s} inspection={inspection.data} feed={liveFeed} onRecorded={manifest.reload} />
                <SiteLocations inspection={inspection.data} manifest={manifest.data} />
                <ResultsPanel session={s} inspection={inspection.data} manifest={manifest.data} />
                <CloseForms
                  session={s}
                  onDone={() => {
                    over.current = true;
                    refresh();
                  }}
                />
              </div>
            </div>
          )}
          <AuditTrail session={s} />
          <Section title={t('live.evidence')} id="evidence">
            {manifest.data && (
              <>
                <p className={manifest.data.verification.ok ? 'ok' : 'error'}>
                  {manifest.data.verification.ok
                    ? t('live.chainOk')
                    : t('live.chainBroken', { seq: manifest.data.verification.first_broken_seq })}
                </p>
                <table data-testid="evidence">
                  <thead>
                    <tr>
                      <th scope="col">{t('live.seq')}</th>
                      <th scope="col">{t('live.kind')}</th>
                      <th scope="col">{t('live.site')}</th>
                      <th scope="col">{t('live.note')}</th>
                      <th scope="col">{t('live.file')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {manifest.data.entries.map((e) => (
                      <tr key={e.seq}>
                        <td>{e.seq}</td>
                        <td>{String(e.entry.kind ?? '')}</td>
                        <td>{String(e.entry.site ?? '')}</td>
                        <td>{String(e.entry.note ?? '')}</td>
                        <td>{e.entry.file ? <code>{String(e.entry.file)}</code> : ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </Section>
        </>
      )}
    </>
  );
}
