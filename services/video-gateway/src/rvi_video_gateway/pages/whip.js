// WHIP (RFC 9725) and WHEP signalling for the gateway's pages: one HTTP exchange of SDP with every
// ICE candidate in the offer (no trickle), a resource URL to DELETE, the error the server gave.

/** The media token from the URL fragment (#token=...): fragments never reach the server. */
export function fragmentToken() {
  return new URLSearchParams(location.hash.slice(1)).get('token') || '';
}

/** The feed id: the last segment of /media/{publish|view}/{feed_id}. */
export function feedIdFromPath() {
  const parts = location.pathname.split('/').filter(Boolean);
  return decodeURIComponent(parts[parts.length - 1] || '');
}

/** The signalling endpoint beside the page (relative, so a path prefix at a proxy still works). */
export function endpointFor(kind, feedId) {
  return new URL(`../../${kind}/${encodeURIComponent(feedId)}`, location.href).href;
}

function profileRank(codec) {
  const line = codec.sdpFmtpLine || '';
  if (line.includes('profile-level-id=42e01f')) return 0; // constrained baseline
  if (line.includes('profile-level-id=42001f')) return 1; // baseline
  return 2;
}

/**
 * Puts H.264 (packetization-mode=1, baseline first) then VP8 first on the offer: the gateway relays
 * those as received. Returns false where the browser cannot set preferences (then its own order
 * stands and the gateway picks the first codec it can relay).
 */
export function preferRelayableCodecs(transceiver) {
  if (typeof transceiver.setCodecPreferences !== 'function') return false;
  for (const source of [window.RTCRtpSender, window.RTCRtpReceiver]) {
    const codecs = source && source.getCapabilities ? (source.getCapabilities('video') || {}).codecs || [] : [];
    const h264 = codecs
      .filter((c) => /^video\/h264$/i.test(c.mimeType) && /packetization-mode=1/.test(c.sdpFmtpLine || ''))
      .sort((a, b) => profileRank(a) - profileRank(b));
    const vp8 = codecs.filter((c) => /^video\/vp8$/i.test(c.mimeType));
    const rtx = codecs.filter((c) => /^video\/rtx$/i.test(c.mimeType));
    if (!h264.length && !vp8.length) continue;
    try {
      transceiver.setCodecPreferences([...h264, ...vp8, ...rtx]);
      return true;
    } catch (err) {
      console.warn('setCodecPreferences failed with', source.name, err);
    }
  }
  return false;
}

/** Resolves once ICE gathering is complete, or after `timeoutMs` with the candidates so far. */
export function iceGatheringComplete(pc, timeoutMs = 5000) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', done);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      pc.removeEventListener('icegatheringstatechange', done);
      resolve();
    }, timeoutMs);
    pc.addEventListener('icegatheringstatechange', done);
  });
}

export class SignallingError extends Error {
  constructor(status, detail) {
    super(status ? `${detail} (HTTP ${status})` : detail);
    this.status = status;
    this.detail = detail;
  }
}

/** The server's reason for a failed request ({"detail": ...} from the gateway, else the body). */
async function reason(response) {
  const body = await response.text();
  try {
    const parsed = JSON.parse(body);
    const detail = parsed && parsed.detail;
    if (typeof detail === 'string') return detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d)).join('; ');
  } catch (_) {
    // not JSON: the text itself
  }
  return body.trim() || response.statusText || 'no reason given';
}

/** POSTs the local offer; applies the answer; returns the session resource's absolute URL. */
export async function negotiate(pc, endpoint, token) {
  await pc.setLocalDescription(await pc.createOffer());
  await iceGatheringComplete(pc);
  let response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
      body: pc.localDescription.sdp,
      cache: 'no-store',
    });
  } catch (err) {
    throw new SignallingError(0, `the gateway cannot be reached (${err.message})`);
  }
  if (response.status !== 201) throw new SignallingError(response.status, await reason(response));
  const location = response.headers.get('Location');
  if (!location) throw new SignallingError(201, 'the answer came without a Location header');
  await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
  return new URL(location, endpoint).href;
}

/** Ends the session resource; `keepalive` lets it go out while the page unloads. */
export async function endResource(resource, token, keepalive = false) {
  if (!resource) return;
  try {
    await fetch(resource, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` }, keepalive });
  } catch (err) {
    console.warn('DELETE of the session resource failed', err);
  }
}

/** The first video stream of `type` in a stats report and its codec (lower case, e.g. "h264"). */
export function rtpStats(report, type) {
  let rtp = null;
  report.forEach((s) => {
    if (!rtp && s.type === type && (s.kind || s.mediaType) === 'video') rtp = s;
  });
  if (!rtp) return null;
  const codec = rtp.codecId ? report.get(rtp.codecId) : null;
  return { rtp, codec: codec ? codec.mimeType.replace(/^video\//i, '').toLowerCase() : '' };
}

/** Sets a status line: its text for people, its data-state for scripts. */
export function setStatus(element, state, text) {
  element.dataset.state = state;
  element.textContent = text;
}

/** Sets an output: its text for people, its data-value for scripts. */
export function setOutput(element, value, text = String(value)) {
  element.dataset.value = String(value);
  element.textContent = text;
}
