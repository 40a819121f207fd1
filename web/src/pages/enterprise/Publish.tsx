import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { gateway } from '../../api/gateway';
import { ApiError } from '../../api/http';
import { scheduling } from '../../api/scheduling';
import type { Session } from '../../api/types';
import { ErrorBox, Loading, Section, StateBadge, useLoad } from '../../components/ui';
import { cameraProblem, openCamera, stopStream } from '../../media/camera';
import { qualityMeter, type Quality } from '../../media/stats';
import { audioBytesReceived, listen, publish, type MediaSession } from '../../media/whip';
import { QualityPanel } from '../officer/LiveSession';
import { CurrentFocus } from './CurrentFocus';

const OPEN_STATES = ['open', 'in_progress'];

function LocationCheck({ session, sites }: { session: Session; sites: { site_id: string; name: string }[] }) {
  const { t } = useTranslation();
  const [siteId, setSiteId] = useState(sites[0]?.site_id ?? '');
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>(null);
  const send = () => {
    setError(null);
    navigator.geolocation.getCurrentPosition(
      (pos) =>
        void gateway
          .reportLocation(session.session_id, {
            site_id: siteId,
            latitude: pos.coords.latitude,
            longitude: pos.coords.longitude,
            accuracy_m: Math.min(pos.coords.accuracy, 100000),
          })
          .then((r) =>
            setMessage(
              r.passed
                ? t('publish.locationPassed', { distance: Math.round(r.distance_m) })
                : t('publish.locationFailed', { distance: Math.round(r.distance_m), limit: Math.round(r.limit_m) }),
            ),
          )
          .catch(setError),
      () => setError(new Error(t('publish.locationDenied'))),
      { enableHighAccuracy: true, timeout: 20000 },
    );
  };
  return (
    <Section title={t('publish.location')} id="location">
      <label>
        {t('publish.locationSite')}
        <select value={siteId} onChange={(e) => setSiteId(e.target.value)} name="site">
          {sites.map((s) => (
            <option key={s.site_id} value={s.site_id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={send} disabled={session.state !== 'in_progress'}>
        {t('publish.locationSend')}
      </button>
      {message && (
        <p role="status" data-testid="location-result">
          {message}
        </p>
      )}
      <ErrorBox error={error} />
    </Section>
  );
}

/** The officers' talk-back feed, played as it goes live (WHEP, audio only). */
function OfficerVoice({ session }: { session: Session }) {
  const { t } = useTranslation();
  const feeds = useLoad(() => gateway.feeds(session.session_id), [session.session_id], 3000);
  const talk = (feeds.data ?? []).find((f) => f.kind === 'talkback' && f.state === 'live') ?? null;
  const audio = useRef<HTMLAudioElement>(null);
  const [bytes, setBytes] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const talkId = talk?.feed_id ?? null;
  useEffect(() => {
    if (!talkId) return undefined;
    let media: MediaSession | null = null;
    let timer: ReturnType<typeof setInterval> | undefined;
    let cancelled = false;
    (async () => {
      const issued = await gateway.feedTokens(session.session_id, talkId, 'view');
      media = await listen(issued.whep_url ?? '', issued.view_token ?? '', (stream) => {
        if (audio.current && audio.current.srcObject !== stream) audio.current.srcObject = stream;
      });
      if (cancelled) return void media.close();
      const pc = media.pc;
      timer = setInterval(() => void audioBytesReceived(pc).then(setBytes), 1000);
      setError(null);
    })().catch((err) => !cancelled && setError(err));
    return () => {
      cancelled = true;
      if (timer) clearInterval(timer);
      // The officer ending the talk-back ends its viewers too: nothing left to DELETE.
      void media?.close(false);
    };
  }, [session.session_id, talkId]);
  return (
    <Section title={t('talk.listen')} id="officer-voice">
      <audio ref={audio} autoPlay data-testid="talkback-audio" data-bytes={bytes} />
      <p role="status">{talk ? t('talk.hearing') : t('talk.silent')}</p>
      <ErrorBox error={error} />
    </Section>
  );
}

export function Publish() {
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
  const [rear, setRear] = useState(true);
  const [withMic, setWithMic] = useState(true);
  const [live, setLive] = useState(false);
  const [quality, setQuality] = useState<Quality | null>(null);
  const [error, setError] = useState<unknown>(null);
  const preview = useRef<HTMLVideoElement>(null);
  const running = useRef<{ stream: MediaStream | null; media: MediaSession | null; timer?: ReturnType<typeof setInterval> }>({
    stream: null,
    media: null,
  });
  // Once the session is over the gateway has let its publications go: nothing left to DELETE.
  const over = useRef(false);
  const stop = () => {
    const r = running.current;
    if (r.timer) clearInterval(r.timer);
    void r.media?.close(!over.current);
    stopStream(r.stream);
    running.current = { stream: null, media: null };
    setLive(false);
  };
  useEffect(() => () => stop(), []);
  const s = session.data;
  useEffect(() => {
    over.current = !!s && !OPEN_STATES.includes(s.state);
    if (over.current && live) stop();
  }, [s, live]);

  const start = async () => {
    setError(null);
    try {
      const stream = await openCamera(rear, withMic);
      running.current.stream = stream;
      if (preview.current) preview.current.srcObject = stream;
      const feed = await gateway.createFeed(s!.session_id, rear ? 'rear camera' : 'front camera');
      const media = await publish(feed.whip_url ?? '', feed.publish_token ?? '', stream);
      running.current.media = media;
      const measure = qualityMeter(media.pc, 'outbound');
      running.current.timer = setInterval(() => void measure().then(setQuality), 1000);
      media.pc.addEventListener('connectionstatechange', () => {
        if (media.pc.connectionState === 'failed') {
          setError(new Error(t('publish.dropped')));
          stop();
          setTimeout(() => void start(), 3000);
        }
      });
      setLive(true);
    } catch (err) {
      stop();
      const problem = cameraProblem(err);
      setError(problem === 'other' ? err : new Error(t(`publish.${problem}`)));
    }
  };

  if (inspection.loading || session.loading) return <Loading />;
  if (!inspection.data) return <ErrorBox error={inspection.error} onRetry={inspection.reload} />;
  const open = !!s && OPEN_STATES.includes(s.state);
  return (
    <>
      <h1>{t('publish.title')}</h1>
      <p>{t('publish.intro')}</p>
      <ErrorBox error={session.error} onRetry={session.reload} />
      {s && (
        <p>
          {t('live.state')}: <StateBadge state={s.state} />
        </p>
      )}
      {!s && <p role="status">{t('publish.waitSession')}</p>}
      {s && !open && <p role="status">{t('publish.sessionOver')}</p>}
      {s && open && <CurrentFocus session={s} />}
      <Section title={t('publish.camera')} id="camera">
        <video ref={preview} autoPlay playsInline muted className="preview" aria-label={t('publish.preview')} data-testid="preview" />
        {!live ? (
          <>
            <fieldset className="segmented">
              <legend>{t('publish.camera')}</legend>
              <label>
                <input type="radio" name="facing" checked={rear} onChange={() => setRear(true)} />
                {t('publish.rear')}
              </label>
              <label>
                <input type="radio" name="facing" checked={!rear} onChange={() => setRear(false)} />
                {t('publish.front')}
              </label>
            </fieldset>
            <label className="check">
              <input type="checkbox" checked={withMic} onChange={(e) => setWithMic(e.target.checked)} />
              {t('publish.withMic')}
            </label>
            <button type="button" className="primary" disabled={!open} onClick={() => void start()}>
              {t('publish.start')}
            </button>
          </>
        ) : (
          <>
            <p role="status" className="ok" data-testid="publishing">
              {t('publish.live')}
            </p>
            <QualityPanel quality={quality} />
            <button type="button" onClick={stop}>
              {t('publish.stop')}
            </button>
          </>
        )}
        <ErrorBox error={error} />
      </Section>
      {s && open && <LocationCheck session={s} sites={inspection.data.sites} />}
      {s && open && <OfficerVoice session={s} />}
    </>
  );
}
