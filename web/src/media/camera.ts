// The device's camera (rear on phones when asked) and optionally its microphone, with the
// failure explained: permission refused or no device.

export type CameraProblem = 'permission' | 'noDevice' | 'other';

export async function openCamera(rear: boolean, withMic: boolean): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({
    video: { facingMode: rear ? { ideal: 'environment' } : 'user', width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25 } },
    audio: withMic,
  });
}

export function cameraProblem(err: unknown): CameraProblem {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'permission';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'noDevice';
  return 'other';
}

export function stopStream(stream: MediaStream | null): void {
  stream?.getTracks().forEach((t) => t.stop());
}
