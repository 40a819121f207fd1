// The enterprise's publisher: the camera, sent to the gateway over WHIP (RFC 9725).
import {
  endResource,
  endpointFor,
  feedIdFromPath,
  fragmentToken,
  negotiate,
  preferRelayableCodecs,
  rtpStats,
  setOutput,
  setStatus,
} from './whip.js';

const $ = (id) => document.getElementById(id);
const status = $('status');
const preview = $('preview');
const startButton = $('start');
const stopButton = $('stop');

const token = fragmentToken();
const endpoint = endpointFor('whip', feedIdFromPath());
let pc = null;
let stream = null;
let resource = null;
let statsTimer = null;

async function showStats() {
  if (!pc) return;
  const found = rtpStats(await pc.getStats(), 'outbound-rtp');
  if (!found) return;
  const { rtp, codec } = found;
  if (codec) setOutput($('codec'), codec, codec.toUpperCase());
  if (rtp.frameWidth) {
    const fps = rtp.framesPerSecond ? `, ${Math.round(rtp.framesPerSecond)} fps` : '';
    setOutput($('resolution'), `${rtp.frameWidth}x${rtp.frameHeight}`, `${rtp.frameWidth} × ${rtp.frameHeight}${fps}`);
  }
  setOutput($('frames'), rtp.framesEncoded || 0);
}

// Officers must read documents and labels: under a low bandwidth estimate, send fewer frames
// rather than a smaller picture (browsers otherwise start 720p at 360p and scale up slowly).
async function keepResolution(sender) {
  try {
    const parameters = sender.getParameters();
    parameters.degradationPreference = 'maintain-resolution';
    await sender.setParameters(parameters);
  } catch (err) {
    console.warn('degradationPreference not supported', err);
  }
}

function release() {
  clearInterval(statsTimer);
  statsTimer = null;
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = null;
  if (pc) pc.close();
  pc = null;
  preview.srcObject = null;
}

function fail(message) {
  // Once published, the feed ends with its publisher: starting again needs a new link.
  const ended = resource;
  resource = null;
  release();
  if (ended) endResource(ended, token);
  setStatus(status, 'error', `Error: ${message}${ended ? '. To publish again, ask for a new link.' : ''}`);
  stopButton.disabled = true;
  startButton.disabled = ended !== null;
}

async function start() {
  startButton.disabled = true;
  try {
    setStatus(status, 'connecting', 'Asking for the camera and microphone…');
    const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25 } };
    try {
      // The officers guide the camera by voice and hear the answers: camera and microphone.
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video });
    } catch (err) {
      if (err.name !== 'NotFoundError') throw err;
      stream = await navigator.mediaDevices.getUserMedia({ audio: false, video });
    }
    preview.srcObject = stream;
    const [track] = stream.getVideoTracks();
    pc = new RTCPeerConnection();
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    // Opus, relayed to the officers as sent.
    stream.getAudioTracks().forEach((voice) => pc.addTransceiver(voice, { direction: 'sendonly', streams: [stream] }));
    preferRelayableCodecs(transceiver);
    await keepResolution(transceiver.sender);
    const camera = track.getSettings();
    setOutput($('camera'), `${camera.width}x${camera.height}`, `${camera.width} × ${camera.height}`);
    pc.addEventListener('connectionstatechange', () => {
      if (!pc) return;
      const state = pc.connectionState;
      if (state === 'connected') setStatus(status, 'live', 'Live: the officers can see your camera.');
      else if (state === 'disconnected') setStatus(status, 'connecting', 'Connection interrupted, retrying…');
      else if (state === 'failed') fail('the connection to the gateway failed');
    });
    setStatus(status, 'connecting', 'Connecting to the gateway…');
    resource = await negotiate(pc, endpoint, token);
    stopButton.disabled = false;
    statsTimer = setInterval(() => showStats().catch((err) => console.warn(err)), 1000);
  } catch (err) {
    const message = err.name === 'NotAllowedError' ? 'access to the camera was refused' : err.message;
    fail(message);
  }
}

async function stop() {
  stopButton.disabled = true;
  const ending = resource;
  resource = null;
  await endResource(ending, token); // RFC 9725: the resource is deleted, then the connection closed
  release();
  setStatus(status, 'stopped', 'Stopped. To publish again, ask for a new link.');
}

startButton.addEventListener('click', start);
stopButton.addEventListener('click', stop);
window.addEventListener('pagehide', () => {
  if (resource) endResource(resource, token, true);
});

if (!token) {
  startButton.disabled = true;
  setStatus(status, 'error', 'Error: this link has no publish token (#token=…); ask for a new link.');
} else if (!navigator.mediaDevices || !window.RTCPeerConnection) {
  startButton.disabled = true;
  setStatus(status, 'error', 'Error: this browser cannot send video here (HTTPS and WebRTC are needed).');
}
