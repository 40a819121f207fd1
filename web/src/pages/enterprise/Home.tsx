import { InspectionsList } from '../officer/Inspections';

export function EnterpriseHome() {
  return <InspectionsList base="/enterprise" />;
}
