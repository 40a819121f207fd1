// The officer's voice to the enterprise: a talk-back feed (audio only, WHIP) whose microphone
// track is sent only while the officer holds the button (push-to-talk) or keeps it open.

import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { gateway } from '../../api/gateway';
import type { Session } from '../../api/types';
import { ErrorBox, Section } from '../../components/ui';
import { cameraProblem, stopStream } from '../../media/camera';
import { publish, type MediaSession } from '../../media/whip';

export function TalkBack({ session, over }: { session: Session; over: { current: boolean } }) {
  const { t } = useTranslation();
  const running = useRef<{ stream: MediaStream | null; media: MediaSession | null }>({ stream: null, media: null });
  const [on, setOn] = useState(false);
  const [openMic, setOpenMic] = useState(false);
  const [holding, setHolding] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const stop = () => {
    void running.current.media?.close(!over.current);
    stopStream(running.current.stream);
    running.current = { stream: null, media: null };
    setOn(false);
  };
  useEffect(() => () => stop(), []);
  const onAir = on && (openMic || holding);
  useEffect(() => {
    running.current.stream?.getAudioTracks().forEach((track) => {
      track.enabled = onAir;
    });
  }, [onAir]);
  const start = async () => {
    setError(null);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      stream.getAudioTracks().forEach((track) => {
        track.enabled = false;
      });
      running.current.stream = stream;
      const feed = await gateway.createFeed(session.session_id, 'officer voice', 'talkback');
      running.current.media = await publish(feed.whip_url ?? '', feed.publish_token ?? '', stream);
      setOn(true);
    } catch (err) {
      stop();
      const problem = cameraProblem(err);
      setError(problem === 'other' ? err : new Error(t(`publish.${problem}`)));
    }
  };
  const press = (down: boolean) => setHolding(down);
  return (
    <Section title={t('talk.title')} id="talkback">
      {!on ? (
        <button type="button" onClick={() => void start()}>
          {t('talk.start')}
        </button>
      ) : (
        <>
          <button
            type="button"
            className={onAir ? 'primary' : ''}
            aria-pressed={holding}
            onPointerDown={() => press(true)}
            onPointerUp={() => press(false)}
            onPointerLeave={() => press(false)}
            onKeyDown={(e) => (e.key === ' ' || e.key === 'Enter') && press(true)}
            onKeyUp={() => press(false)}
          >
            {t('talk.hold')}
          </button>
          <label className="check">
            <input type="checkbox" checked={openMic} onChange={(e) => setOpenMic(e.target.checked)} />
            {t('talk.open')}
          </label>
          <p role="status" data-testid="talk-state">
            {onAir ? t('talk.onAir') : t('talk.muted')}
          </p>
          <button type="button" onClick={stop}>
            {t('talk.stop')}
          </button>
        </>
      )}
      <ErrorBox error={error} />
    </Section>
  );
}
