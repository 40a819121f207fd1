// An officer's viewer: the feed received from the gateway over WHEP.
import {
  endResource,
  endpointFor,
  feedIdFromPath,
  fragmentToken,
  negotiate,
  rtpStats,
  setOutput,
  setStatus,
} from './whip.js';

const $ = (id) => document.getElementById(id);
const status = $('status');
const video = $('video');
const watchButton = $('watch');
const leaveButton = $('leave');

const token = fragmentToken();
const endpoint = endpointFor('whep', feedIdFromPath());
let pc = null;
let resource = null;
let statsTimer = null;
let presented = 0;

async function showStats() {
  if (!pc) return;
  const found = rtpStats(await pc.getStats(), 'inbound-rtp');
  if (!found) return;
  const { rtp, codec } = found;
  if (codec) setOutput($('codec'), codec, codec.toUpperCase());
  if (rtp.frameWidth) {
    const fps = rtp.framesPerSecond ? `, ${Math.round(rtp.framesPerSecond)} fps` : '';
    setOutput($('resolution'), `${rtp.frameWidth}x${rtp.frameHeight}`, `${rtp.frameWidth} × ${rtp.frameHeight}${fps}`);
  }
  setOutput($('frames'), rtp.framesDecoded || 0);
  if (rtp.framesDecoded && status.dataset.state === 'connected') setStatus(status, 'live', 'Live.');
}

function countPresentedFrames() {
  if (typeof video.requestVideoFrameCallback !== 'function') return;
  const onFrame = (_now, metadata) => {
    presented = metadata.presentedFrames;
    setOutput($('presented'), presented);
    if (status.dataset.state === 'connected') setStatus(status, 'live', 'Live.');
    if (video.srcObject) video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

function release() {
  clearInterval(statsTimer);
  statsTimer = null;
  if (pc) pc.close();
  pc = null;
  video.srcObject = null;
}

function fail(message) {
  const ended = resource;
  resource = null;
  release();
  if (ended) endResource(ended, token);
  setStatus(status, 'error', `Error: ${message}`);
  leaveButton.disabled = true;
  watchButton.disabled = false;
}

async function watch() {
  watchButton.disabled = true;
  try {
    pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    // The enterprise's voice, as sent (the gateway rejects the section when the feed has none).
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addEventListener('track', (event) => {
      // Picture and sound arrive as two tracks: one stream holds both (unmute to hear).
      if (!video.srcObject) video.srcObject = new MediaStream();
      video.srcObject.addTrack(event.track);
      if (event.track.kind === 'video') countPresentedFrames();
    });
    pc.addEventListener('connectionstatechange', () => {
      if (!pc) return;
      const state = pc.connectionState;
      if (state === 'connected') setStatus(status, 'connected', 'Connected, waiting for the picture…');
      else if (state === 'disconnected') setStatus(status, 'connecting', 'Connection interrupted, retrying…');
      else if (state === 'failed') fail('the connection to the gateway failed');
    });
    setStatus(status, 'connecting', 'Connecting to the gateway…');
    resource = await negotiate(pc, endpoint, token);
    leaveButton.disabled = false;
    statsTimer = setInterval(() => showStats().catch((err) => console.warn(err)), 1000);
  } catch (err) {
    fail(err.message);
  }
}

async function leave() {
  leaveButton.disabled = true;
  const ending = resource;
  resource = null;
  release();
  await endResource(ending, token);
  setStatus(status, 'left', 'You left. Press Watch to see the feed again.');
  watchButton.disabled = false;
}

watchButton.addEventListener('click', watch);
leaveButton.addEventListener('click', leave);
window.addEventListener('pagehide', () => {
  if (resource) endResource(resource, token, true);
});

if (!token) {
  setStatus(status, 'error', 'Error: this link has no view token (#token=…); ask for a new link.');
} else if (!window.RTCPeerConnection) {
  setStatus(status, 'error', 'Error: this browser cannot receive video here (WebRTC is needed).');
} else {
  watch();
}
