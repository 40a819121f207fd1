// Connection quality from RTCPeerConnection.getStats(): bitrate from the byte counter's change
// between two reports, packet loss from the RTP counters, round-trip time from the selected ICE
// candidate pair (W3C webrtc-stats).

export interface Quality {
  bitrateKbps: number | null;
  lossPct: number | null;
  rttMs: number | null;
  width: number | null;
  height: number | null;
  fps: number | null;
}

interface Previous {
  bytes: number;
  at: number;
}

export function qualityMeter(pc: RTCPeerConnection, direction: 'inbound' | 'outbound') {
  let previous: Previous | null = null;
  return async function measure(): Promise<Quality> {
    const report = await pc.getStats();
    let bytes = 0;
    let lost = 0;
    let received = 0;
    let rttMs: number | null = null;
    let width: number | null = null;
    let height: number | null = null;
    let fps: number | null = null;
    report.forEach((s) => {
      if (s.type === `${direction}-rtp` && s.kind === 'video') {
        bytes += direction === 'inbound' ? s.bytesReceived ?? 0 : s.bytesSent ?? 0;
        lost += s.packetsLost ?? 0;
        received += s.packetsReceived ?? s.packetsSent ?? 0;
        width = s.frameWidth ?? width;
        height = s.frameHeight ?? height;
        fps = s.framesPerSecond ?? fps;
      }
      if (s.type === 'remote-inbound-rtp' && s.kind === 'video') {
        lost += s.packetsLost ?? 0;
      }
      if (s.type === 'candidate-pair' && (s.nominated || s.selected) && s.state === 'succeeded') {
        if (typeof s.currentRoundTripTime === 'number') rttMs = s.currentRoundTripTime * 1000;
      }
    });
    const now = performance.now();
    let bitrateKbps: number | null = null;
    if (previous && now > previous.at) bitrateKbps = ((bytes - previous.bytes) * 8) / (now - previous.at);
    previous = { bytes, at: now };
    const total = lost + received;
    return { bitrateKbps, lossPct: total > 0 ? (100 * lost) / total : null, rttMs, width, height, fps };
  };
}
