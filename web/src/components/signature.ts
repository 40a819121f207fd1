import type { TFunction } from 'i18next';
import type { DocumentRecord } from '../api/types';

/** "Signed by … at … · seal", or why there is no signature yet. */
export function signatureLine(t: TFunction, d: DocumentRecord): string {
  if (d.signed_at)
    return `${t('documents.signed', { name: d.signer_name, time: new Date(d.signed_at).toLocaleString() })}${d.seal ? ` · ${d.seal}` : ''}`;
  return d.state === 'completed' ? t('documents.sealedOnly') : t('documents.notSigned');
}
