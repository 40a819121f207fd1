// scheduling (:8002): inspection tasks and their lifecycle, readiness (checked from the record:
// the gateway's equipment test and the uploads), the day plan.

import { request } from './http';
import type { Inspection, InspectionPage, TimelineEntry } from './types';

/** The equipment test and the uploads count from the record; only the contact is taken. */
export interface Readiness {
  contact_name?: string | null;
}

const base = (id: string) => `/v1/inspections/${encodeURIComponent(id)}`;

/** One of `office` and `district` (a code, Chinese or English name); slots in [from, to), at most 31 days. */
export interface ListQuery {
  office?: string;
  district?: string;
  from: string;
  to: string;
  cursor?: string;
}

export const scheduling = {
  /** An office's (or district's) booked inspections in a window, by slot start, a page at a time. */
  list: (q: ListQuery) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) params.set(k, v);
    return request<InspectionPage>('scheduling', `/v1/inspections?${params}`);
  },
  inspection: (id: string) => request<Inspection>('scheduling', base(id)),
  timeline: (id: string) => request<TimelineEntry[]>('scheduling', `${base(id)}/timeline`),
  /** GACC-RVI 4(I): one of `offered_slots`; 422 naming `offer_id` when it no longer gives the notice. */
  chooseSlot: (id: string, offer_id: string) =>
    request<Inspection>('scheduling', `${base(id)}/slot-choice`, { method: 'POST', body: { offer_id } }),
  confirmReadiness: (id: string, body: Readiness) =>
    request<Inspection>('scheduling', `${base(id)}/readiness`, { method: 'POST', body }),
};
