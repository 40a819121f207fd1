// Inspections opened in this browser, per signed-in subject: the lists show these until the
// scheduling service offers a list of inspections (day plans, issue 11).

const key = (subject: string) => `rvi.recent.${subject}`;

export function recentInspections(subject: string): string[] {
  try {
    return JSON.parse(localStorage.getItem(key(subject)) ?? '[]') as string[];
  } catch {
    return [];
  }
}

export function rememberInspection(subject: string, id: string): void {
  const ids = [id, ...recentInspections(subject).filter((x) => x !== id)].slice(0, 50);
  localStorage.setItem(key(subject), JSON.stringify(ids));
}
