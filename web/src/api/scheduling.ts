// scheduling (:8002): inspection tasks and their lifecycle, readiness (checked from the record:
// the gateway's equipment test and the uploads), the day plan.

import { request } from './http';
import type { Inspection, TimelineEntry } from './types';

/** The equipment test and the uploads count from the record; only the contact is taken. */
export interface Readiness {
  contact_name?: string | null;
}

const base = (id: string) => `/v1/inspections/${encodeURIComponent(id)}`;

export const scheduling = {
  inspection: (id: string) => request<Inspection>('scheduling', base(id)),
  timeline: (id: string) => request<TimelineEntry[]>('scheduling', `${base(id)}/timeline`),
  /** GACC-RVI 4(I): one of `offered_slots`; 422 naming `offer_id` when it no longer gives the notice. */
  chooseSlot: (id: string, offer_id: string) =>
    request<Inspection>('scheduling', `${base(id)}/slot-choice`, { method: 'POST', body: { offer_id } }),
  confirmReadiness: (id: string, body: Readiness) =>
    request<Inspection>('scheduling', `${base(id)}/readiness`, { method: 'POST', body }),
};
