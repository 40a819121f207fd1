// scheduling (:8002): inspection tasks and their lifecycle. A list of inspections (today, the
// week, day plans) and slot choice arrive with the scheduling issue (11); until then pages list
// the inspections this browser has opened.

import { request } from './http';
import type { Inspection, TimelineEntry } from './types';

export interface Readiness {
  equipment_test_passed: boolean;
  documents_submitted: boolean;
  contact_name?: string | null;
}

const base = (id: string) => `/v1/inspections/${encodeURIComponent(id)}`;

export const scheduling = {
  inspection: (id: string) => request<Inspection>('scheduling', base(id)),
  timeline: (id: string) => request<TimelineEntry[]>('scheduling', `${base(id)}/timeline`),
  confirmReadiness: (id: string, body: Readiness) =>
    request<Inspection>('scheduling', `${base(id)}/readiness`, { method: 'POST', body }),
};
