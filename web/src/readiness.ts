// scheduling's readiness_missing is one English sentence per missing element (GACC-RVI 4(II)):
// shown in the user's language by recognising its three forms; anything else is shown as sent.

import type { TFunction } from 'i18next';

export function missingText(t: TFunction, sentence: string): string {
  if (sentence.startsWith('equipment test: no passed test')) return t('readiness.equipmentNone');
  const old = /^equipment test: the last pass \((.+)\) is older than (\d+) days/.exec(sentence);
  if (old) return t('readiness.equipmentOld', { at: new Date(old[1]).toLocaleString(), days: old[2] });
  const doc = /^document not submitted: (\S+)/.exec(sentence);
  if (doc) return t('readiness.documentMissing', { kind: t(`uploads.kinds.${doc[1]}`, { defaultValue: doc[1] }) });
  return sentence;
}
