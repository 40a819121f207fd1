// Shapes of the services' JSON, as their OpenAPI documents (/docs) give them.

export interface Site {
  site_id: string;
  name: string;
  latitude: number;
  longitude: number;
  address?: string | null;
}

export interface ChecklistItem {
  item_id: string;
  description: string;
  category?: string | null;
  [key: string]: unknown;
}

export interface Officer {
  officer_id: string;
  name: string;
  credential_no: string;
}

export interface Inspection {
  id: string;
  enterprise_id: string;
  enterprise_name: string;
  customs: string;
  state: string;
  state_reason: string | null;
  outcome: string | null;
  decision_id: string | null;
  slot_start: string | null;
  slot_end: string | null;
  notice_sent_at: string | null;
  session_id: string | null;
  sites: Site[];
  checklist_items: ChecklistItem[];
  officers: Officer[];
  onsite_items: string[];
  documents: string[];
  required_documents: string[];
  documents_submitted: string[];
  equipment_test_passed_at: string | null;
  /** GACC-RVI 4(II): what keeps the inspection from being ready, one English sentence each. */
  readiness_missing: string[];
  day_plan: { site_id: string; start: string; end: string; [key: string]: unknown }[];
  offered_slots: { offer_id: string; slot_start: string; [key: string]: unknown }[];
  created_at: string;
  updated_at: string;
}

export interface TimelineEntry {
  seq: number;
  event_id: string;
  type: string;
  source: string;
  time: string;
  data: Record<string, unknown>;
}

export interface Reason {
  rule_id?: string;
  reference?: string;
  message?: string;
  [key: string]: unknown;
}

export interface ItemDecision {
  item_id: string;
  remote_allowed?: boolean;
  [key: string]: unknown;
}

export interface Decision {
  id: string;
  enterprise_id: string;
  customs: string;
  remote_allowed: boolean;
  outcome: string;
  items: ItemDecision[];
  reasons: Reason[];
  rule_set_version: string;
  as_at: string;
  evaluated_at: string;
}

export interface Consent {
  given: boolean | null;
  scope: string[] | string | null;
  revoked_at: string | null;
  in_effect: boolean;
  covers_remote_video_inspection: boolean;
}

export interface EnterpriseStanding {
  enterprise_id: string;
  name: string | null;
  consent: Consent;
  can_cooperate: boolean | null;
  technical_conditions: boolean | null;
  credit_status: string | null;
  mandatory_onsite: boolean;
  remote_eligible: boolean;
}

export interface Session {
  session_id: string;
  inspection_id: string;
  enterprise_id: string;
  state: string;
  slot_start: string | null;
  opened_at: string;
  started_at: string | null;
  ended_at: string | null;
  conclusion: string | null;
  manifest_digest: string | null;
  escalation_code: string | null;
  escalation_reason: string | null;
  instance_id: string | null;
}

export interface ManifestEntry {
  seq: number;
  prev_hash: string;
  entry: Record<string, unknown> & { kind?: string; note?: string; file?: string | null; site?: string | null };
  entry_hash: string;
}

export interface Manifest {
  session_id: string;
  state: string;
  manifest_digest: string | null;
  entries: ManifestEntry[];
  verification: { ok: boolean; first_broken_seq: number | null };
}

export interface Feed {
  feed_id: string;
  session_id: string | null;
  inspection_id: string;
  kind: string;
  label: string;
  codec: string | null;
  state: string;
  lost_reason: string | null;
  whip_url: string | null;
  whep_url: string;
  publish_token: string | null;
  view_token: string | null;
  viewers: number;
  frames: number;
}

export interface Recording {
  recording_id: string;
  feed_id: string;
  kind: string;
  note: string;
  state: string;
  file: string | null;
  sha256: string | null;
  manifest_seq: number | null;
}

export interface SnapshotTaken {
  seq: number;
  entry: ManifestEntry['entry'];
}

export interface EquipmentTest {
  test_id: string;
  inspection_id: string;
  feed_id: string;
  state: string;
  measurement: Record<string, number> | null;
  failures: string[];
  thresholds: Record<string, number>;
  whip_url: string | null;
  publish_token: string | null;
}

export interface Gateway {
  instance_id: string;
  advertised_url: string;
  started_at: string;
  last_heartbeat_at: string;
  alive: boolean;
  draining: boolean;
  sessions: number;
  feeds: number;
  viewers: number;
  bitrate_kbps: number;
  cpu_pct: number;
}

export interface Signer {
  /** customs_seal, officer:<credential no.> or enterprise */
  key: string;
  label_zh: string;
  label_en: string;
}

export interface DocumentRecord {
  document_id: string;
  inspection_id: string;
  enterprise_id: string;
  kind: string;
  /** per customs office, kind and year, without gaps; null until sealed */
  number: string | null;
  state: string;
  signed_slots: string[];
  /** who may sign next (empty when complete) */
  expected_signers: Signer[];
  sha256: string;
  size_bytes: number;
  issued_at: string;
  signed_at: string | null;
  signer_name: string | null;
  seal: string | null;
  completed_at: string | null;
  session_id?: string | null;
  /** service (GACC-RVI 4(IV)): when it is due, served, read by the enterprise, overdue */
  service_due_at?: string | null;
  served_at?: string | null;
  read_at?: string | null;
  service_overdue_at?: string | null;
  pdf_url: string;
}

export interface Upload {
  upload_id: string;
  inspection_id: string;
  kind: string;
  filename: string | null;
  content_type: string;
  size_bytes: number;
  sha256: string;
  uploaded_at?: string;
  /** an officer checked it against the original (who and when), and the marked copy issued */
  verified_at?: string | null;
  verified_by?: string | null;
  marked_copy_id?: string | null;
  content_url?: string;
  [key: string]: unknown;
}

export interface InspectionPage {
  items: Inspection[];
  next_cursor: string | null;
}

export interface Delivery {
  delivery_id: string;
  document_id: string;
  channel: string;
  /** served, read, posted or refused */
  state: string;
  address: string | null;
  notified_at: string | null;
  served_at: string | null;
  read_at: string | null;
  tracking_number: string | null;
  posted_at: string | null;
  proof_kind: string | null;
  refused_reason: string | null;
}

export interface SignatureCheck {
  field: string;
  signer: string;
  intact: boolean;
  valid: boolean;
  trusted: boolean;
  timestamped: boolean;
  timestamp_valid: boolean;
  signed_at: string | null;
  coverage: string;
}

export interface Verification {
  valid: boolean;
  sha256: string;
  signatures: SignatureCheck[];
  problems: string[];
  validation_data: boolean;
}

export interface EvidenceVerification {
  ok: boolean;
  first_broken: { seq: number | null; check: string; detail: string } | null;
  entries_checked: number;
  files_checked: number;
  key_id: string;
}

/** The site and checklist item the officers are on now (the enterprise's screen shows it). */
export interface Focus {
  session_id: string;
  state: string;
  version: number;
  site_id: string | null;
  site_name: string | null;
  item_id: string | null;
  item_description: string | null;
  set_by: string | null;
  set_at: string | null;
}
