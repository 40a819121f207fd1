// eligibility (:8001): the decision for an inspection (with its reasons and legal references)
// and the enterprise's standing (consent, GACC-RVI 2).

import { request } from './http';
import type { Decision, EnterpriseStanding } from './types';

export const eligibility = {
  decision: (inspectionId: string) =>
    request<Decision>('eligibility', `/v1/inspections/${encodeURIComponent(inspectionId)}/decision`),
  decisionById: (decisionId: string) => request<Decision>('eligibility', `/v1/decisions/${encodeURIComponent(decisionId)}`),
  /** GACC-RVI 2: the enterprise gives (with the matters it covers) or withdraws its own consent. */
  putConsent: (enterpriseId: string, given: boolean, scope: string[] | null) =>
    request<EnterpriseStanding>('eligibility', `/v1/enterprises/${encodeURIComponent(enterpriseId)}/consent`, {
      method: 'PUT',
      body: given ? { given, scope } : { given },
    }),
  enterprise: (enterpriseId: string) =>
    request<EnterpriseStanding>('eligibility', `/v1/enterprises/${encodeURIComponent(enterpriseId)}`),
};
