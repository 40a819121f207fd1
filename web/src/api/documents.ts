// documents (:8004): the legal documents of an inspection (GACC-RVI 4(IV)), the PDF, and the
// enterprise's signature and seal. Officer signing, uploads, comments, disputes and service
// status arrive with the documents issue (10).

import { currentToken } from '../auth/session';
import { config } from '../config';
import { ApiError, request } from './http';
import type { DocumentRecord } from './types';

export const documents = {
  forInspection: (inspectionId: string) =>
    request<DocumentRecord[]>('documents', `/v1/inspections/${encodeURIComponent(inspectionId)}/documents`),
  sign: (documentId: string, signer_name: string, seal: string | null) =>
    request<DocumentRecord>('documents', `/v1/documents/${encodeURIComponent(documentId)}/sign`, {
      method: 'POST',
      body: { signer_name, seal: seal || null, accept: true },
    }),
  /** The PDF as an object URL (the API needs the bearer token, so no plain link). */
  async pdfUrl(documentId: string): Promise<string> {
    const response = await fetch(`${config().apis.documents}/v1/documents/${encodeURIComponent(documentId)}/pdf`, {
      headers: { Authorization: `Bearer ${currentToken() ?? ''}` },
    });
    if (!response.ok) throw new ApiError(response.status, await response.text(), null);
    return URL.createObjectURL(await response.blob());
  },
};
