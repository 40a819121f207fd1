import type { Site } from '../api/types';

/** A labelled choice of one of the inspection's sites ("S1 Zhouxiang…"), optionally with an empty first choice. */
export function SiteSelect({ label, sites, value, onChange, name, empty }: {
  label: string;
  sites: Site[];
  value: string;
  onChange: (siteId: string) => void;
  name?: string;
  empty?: string;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)} name={name}>
        {empty !== undefined && <option value="">{empty}</option>}
        {sites.map((s) => (
          <option key={s.site_id} value={s.site_id}>
            {s.site_id} {s.name}
          </option>
        ))}
      </select>
    </label>
  );
}
