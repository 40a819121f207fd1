// eligibility (:8001): the decision for an inspection (with its reasons and legal references)
// and the enterprise's standing (consent, GACC-RVI 2).

import { request } from './http';
import type { Decision, EnterpriseStanding } from './types';

export const eligibility = {
  decision: (inspectionId: string) =>
    request<Decision>('eligibility', `/v1/inspections/${encodeURIComponent(inspectionId)}/decision`),
  decisionById: (decisionId: string) => request<Decision>('eligibility', `/v1/decisions/${encodeURIComponent(decisionId)}`),
  enterprise: (enterpriseId: string) =>
    request<EnterpriseStanding>('eligibility', `/v1/enterprises/${encodeURIComponent(enterpriseId)}`),
};
