// documents (:8004): the legal documents of an inspection (GACC-RVI 4(IV)), the PDF, the
// officers' signatures, then the enterprise's signature and seal, and the enterprise's uploads.

import { currentToken } from '../auth/session';
import { config } from '../config';
import { ApiError, request } from './http';
import type { DocumentRecord, Upload } from './types';

export interface DocumentComment {
  comment_id: string;
  document_id: string;
  author: string;
  text: string;
  dispute: boolean;
  major: boolean;
  created_at: string;
}

/** The upload kinds an advance notice may ask for (GACC-RVI 4(II)). */
export const UPLOAD_KINDS = ['identity_document', 'power_of_attorney', 'business_licence'] as const;

export const documents = {
  forInspection: (inspectionId: string) =>
    request<DocumentRecord[]>('documents', `/v1/inspections/${encodeURIComponent(inspectionId)}/documents`),
  sign: (documentId: string, signer_name: string, seal: string | null) =>
    request<DocumentRecord>('documents', `/v1/documents/${encodeURIComponent(documentId)}/sign`, {
      method: 'POST',
      body: { signer_name, seal: seal || null, accept: true },
    }),
  /** An officer of the team signs (PAdES); 409 naming the expected signer when not their turn. */
  signAsOfficer: (documentId: string) =>
    request<DocumentRecord>('documents', `/v1/documents/${encodeURIComponent(documentId)}/officer-signature`, {
      method: 'POST',
    }),
  comments: (documentId: string) =>
    request<DocumentComment[]>('documents', `/v1/documents/${encodeURIComponent(documentId)}/comments`),
  /** The enterprise's comment within the window; `dispute` disputes findings or conclusions. */
  comment: (documentId: string, text: string, dispute: boolean) =>
    request<DocumentComment>('documents', `/v1/documents/${encodeURIComponent(documentId)}/comments`, {
      method: 'POST',
      body: { text, dispute, major: false },
    }),
  uploads: (inspectionId: string) =>
    request<Upload[]>('documents', `/v1/inspections/${encodeURIComponent(inspectionId)}/uploads`),
  /** The raw file as the body (PDF, JPEG or PNG); 415 when the bytes are none of these. */
  upload: (inspectionId: string, kind: string, file: File) =>
    request<Upload>(
      'documents',
      `/v1/inspections/${encodeURIComponent(inspectionId)}/uploads?${new URLSearchParams({ kind, filename: file.name })}`,
      { method: 'POST', raw: file, headers: { 'Content-Type': file.type || 'application/octet-stream' } },
    ),
  /** The PDF as an object URL (the API needs the bearer token, so no plain link). */
  async pdfUrl(documentId: string): Promise<string> {
    const response = await fetch(`${config().apis.documents}/v1/documents/${encodeURIComponent(documentId)}/pdf`, {
      headers: { Authorization: `Bearer ${currentToken() ?? ''}` },
    });
    if (!response.ok) throw new ApiError(response.status, await response.text(), null);
    return URL.createObjectURL(await response.blob());
  },
};
