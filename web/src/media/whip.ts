// WHIP (RFC 9725) and WHEP signalling: one HTTP exchange of SDP with every ICE candidate in the
// offer (no trickle), a resource URL to DELETE at the end, 307 redirects to the gateway instance
// that holds the feed followed by fetch itself. The gateway relays H.264 (packetization-mode=1)
// and VP8 as received, so those go first in the offer.

export class SignallingError extends Error {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
  }
}

function preferRelayableCodecs(transceiver: RTCRtpTransceiver): void {
  if (typeof transceiver.setCodecPreferences !== 'function') return;
  const caps = RTCRtpReceiver.getCapabilities?.('video')?.codecs ?? [];
  const h264 = caps.filter((c) => /^video\/h264$/i.test(c.mimeType) && /packetization-mode=1/.test(c.sdpFmtpLine ?? ''));
  const vp8 = caps.filter((c) => /^video\/vp8$/i.test(c.mimeType));
  const rtx = caps.filter((c) => /^video\/rtx$/i.test(c.mimeType));
  if (!h264.length && !vp8.length) return;
  try {
    transceiver.setCodecPreferences([...h264, ...vp8, ...rtx]);
  } catch {
    // the browser's own order stands; the gateway picks the first codec it can relay
  }
}

function iceGatheringComplete(pc: RTCPeerConnection, timeoutMs = 5000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

export interface MediaSession {
  pc: RTCPeerConnection;
  /** Ends the peer and DELETEs the resource; `release: false` where the server already ended it. */
  close(release?: boolean): Promise<void>;
}

async function exchange(pc: RTCPeerConnection, url: string, token: string): Promise<MediaSession> {
  await pc.setLocalDescription(await pc.createOffer());
  await iceGatheringComplete(pc);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: pc.localDescription?.sdp ?? '',
  });
  const text = await response.text();
  if (response.status !== 201) {
    let detail = text;
    try {
      detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
    } catch {
      // plain text
    }
    pc.close();
    throw new SignallingError(response.status, detail);
  }
  const location = response.headers.get('Location');
  const resource = location ? new URL(location, response.url).href : null;
  await pc.setRemoteDescription({ type: 'answer', sdp: text });
  return {
    pc,
    async close(release = true) {
      pc.close();
      if (resource && release) {
        await fetch(resource, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } }).catch(() => undefined);
      }
    },
  };
}

/** Publishes `stream` (video, and audio when it has a track) to a WHIP endpoint. */
export async function publish(url: string, token: string, stream: MediaStream): Promise<MediaSession> {
  const pc = new RTCPeerConnection();
  for (const track of stream.getTracks()) {
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    if (track.kind === 'video') preferRelayableCodecs(transceiver);
  }
  return exchange(pc, url, token);
}

/** Receives a feed from a WHEP endpoint; `onTrack` gets the stream as tracks arrive. */
export async function view(url: string, token: string, onTrack: (stream: MediaStream) => void): Promise<MediaSession> {
  const pc = new RTCPeerConnection();
  const transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
  preferRelayableCodecs(transceiver);
  const stream = new MediaStream();
  pc.addEventListener('track', (event) => {
    stream.addTrack(event.track);
    onTrack(stream);
  });
  return exchange(pc, url, token);
}

/** Receives an audio-only feed (talk-back) from a WHEP endpoint. */
export async function listen(url: string, token: string, onTrack: (stream: MediaStream) => void): Promise<MediaSession> {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const stream = new MediaStream();
  pc.addEventListener('track', (event) => {
    stream.addTrack(event.track);
    onTrack(stream);
  });
  return exchange(pc, url, token);
}

/** Bytes of audio received so far (inbound-rtp), from getStats. */
export async function audioBytesReceived(pc: RTCPeerConnection): Promise<number> {
  let bytes = 0;
  (await pc.getStats()).forEach((r: { type?: string; kind?: string; bytesReceived?: number }) => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') bytes += r.bytesReceived ?? 0;
  });
  return bytes;
}
