// video-gateway (:8003): the live session, key steps, feeds (WHIP/WHEP), recordings, snapshots,
// the equipment test, per-item checklist results, and the gateway instances.

import { longPoll, request } from './http';
import type {
  EquipmentTest,
  EvidenceVerification,
  Feed,
  Focus,
  Gateway,
  Manifest,
  ManifestEntry,
  Recording,
  Session,
  SnapshotTaken,
} from './types';

export type EscalationCode = '5(I)' | '5(II)' | '5(III)' | '5(IV)';
export const ESCALATION_CODES: EscalationCode[] = ['5(I)', '5(II)', '5(III)', '5(IV)'];
export const FIXED_STEP_KINDS = [
  'credentials_presented',
  'identity_verified',
  'power_of_attorney_verified',
  'location_verified',
  'other',
] as const;

/** DOMAIN 8: the result of a checklist item at a site. */
export const ITEM_RESULTS = ['conforming', 'non_conforming', 'not_verifiable_remotely'] as const;
export type ItemResult = (typeof ITEM_RESULTS)[number];

export interface ItemResultRecord {
  item_id: string;
  result: ItemResult;
  finding: string;
  evidence: string[];
  recorded_by: string | null;
  recorded_at: string | null;
}

export interface Results {
  session_id: string;
  sites: { site_id: string; location_verified: boolean; items: ItemResultRecord[] }[];
  onsite_required: { site_id: string; item_id: string }[];
}

export interface StepFields {
  kind: string;
  note: string;
  site_id?: string | null;
}

const s = (id: string) => `/v1/sessions/${encodeURIComponent(id)}`;
const post = <T>(path: string, body?: unknown) => request<T>('videoGateway', path, { method: 'POST', body });

export const gateway = {
  sessionFor: (inspectionId: string) =>
    request<Session>('videoGateway', `/v1/inspections/${encodeURIComponent(inspectionId)}/session`),
  start: (sessionId: string) => post<Session>(`${s(sessionId)}/start`),
  recordStep: (sessionId: string, step: StepFields) => post<ManifestEntry>(`${s(sessionId)}/steps`, step),
  escalate: (sessionId: string, reason_code: EscalationCode, reason: string) =>
    post<Session>(`${s(sessionId)}/escalate`, { reason_code, reason }),
  end: (sessionId: string, conclusion: string) => post<Session>(`${s(sessionId)}/end`, { conclusion }),
  manifest: (sessionId: string) => request<Manifest>('videoGateway', `${s(sessionId)}/manifest`),
  reportLocation: (sessionId: string, body: { site_id: string; latitude: number; longitude: number; accuracy_m: number }) =>
    post<ManifestEntry & { passed: boolean; distance_m: number; limit_m: number }>(`${s(sessionId)}/location`, body),
  /** Who joined and left the session's media, and results recorded, in order. */
  audit: (sessionId: string) =>
    request<{ at: string; action: string; actor: string; detail: Record<string, unknown> }[]>(
      'videoGateway',
      `${s(sessionId)}/audit`,
    ),
  results: (sessionId: string) => request<Results>('videoGateway', `${s(sessionId)}/results`),
  /** 409 until the site's location is verified; 422 naming the evidence the item needs. */
  recordResult: (sessionId: string, siteId: string, itemId: string, body: { result: ItemResult; finding: string; evidence: string[] }) =>
    request<ItemResultRecord>(
      'videoGateway',
      `${s(sessionId)}/results/${encodeURIComponent(siteId)}/${encodeURIComponent(itemId)}`,
      { method: 'PUT', body },
    ),
  feeds: (sessionId: string) => request<Feed[]>('videoGateway', `${s(sessionId)}/feeds`),
  /** `webrtc`: the enterprise's camera; `talkback`: an officer's voice (audio only), heard by the enterprise. */
  createFeed: (sessionId: string, label: string, kind: 'webrtc' | 'talkback' = 'webrtc') =>
    post<Feed>(`${s(sessionId)}/feeds`, { kind, label }),
  feedTokens: (sessionId: string, feedId: string, scope: 'publish' | 'view') =>
    post<Feed>(`${s(sessionId)}/feeds/${encodeURIComponent(feedId)}/tokens`, { scope }),
  startRecording: (sessionId: string, feedId: string, step: StepFields) =>
    post<Recording>(`${s(sessionId)}/recordings`, { feed_id: feedId, ...step }),
  stopRecording: (sessionId: string, recordingId: string) =>
    post<Recording>(`${s(sessionId)}/recordings/${encodeURIComponent(recordingId)}/stop`),
  snapshot: (sessionId: string, feedId: string, step: StepFields) =>
    post<SnapshotTaken>(`${s(sessionId)}/snapshots`, { feed_id: feedId, ...step }),
  startEquipmentTest: (inspectionId: string) =>
    post<EquipmentTest>(`/v1/inspections/${encodeURIComponent(inspectionId)}/equipment-tests`),
  equipmentTest: (testId: string) =>
    request<EquipmentTest>('videoGateway', `/v1/equipment-tests/${encodeURIComponent(testId)}`),
  focus: (sessionId: string) => request<Focus>('videoGateway', `${s(sessionId)}/focus`),
  /** Long-poll: the focus once it differs from the one tagged `etag`, or `body: null` after `waitS` s. */
  nextFocus: (sessionId: string, etag: string | null, waitS: number) =>
    longPoll<Focus>('videoGateway', `${s(sessionId)}/focus`, etag, waitS),
  setFocus: (sessionId: string, site_id: string, item_id: string | null) =>
    request<void>('videoGateway', `${s(sessionId)}/focus`, { method: 'PUT', body: { site_id, item_id } }),
  verifyEvidence: (sessionId: string) => request<EvidenceVerification>('videoGateway', `${s(sessionId)}/evidence/verify`),
  instances: () => request<Gateway[]>('videoGateway', '/v1/gateways'),
  drain: (instanceId: string) => post<Gateway>(`/v1/gateways/${encodeURIComponent(instanceId)}/drain`),
};
