// documents (:8004): the legal documents of an inspection (GACC-RVI 4(IV)), the PDF, the
// officers' signatures, then the enterprise's signature and seal, and the enterprise's uploads.

import { currentToken } from '../auth/session';
import { config } from '../config';
import { ApiError, request } from './http';
import type { Delivery, DocumentRecord, Upload, Verification } from './types';

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

async function blobUrl(path: string): Promise<string> {
  const response = await fetch(`${config().apis.documents}${path}`, {
    headers: { Authorization: `Bearer ${currentToken() ?? ''}` },
  });
  if (!response.ok) throw new ApiError(response.status, await response.text(), null);
  return URL.createObjectURL(await response.blob());
}

const doc = (id: string) => `/v1/documents/${encodeURIComponent(id)}`;

export const documents = {
  get: (documentId: string) => request<DocumentRecord>('documents', doc(documentId)),
  /** How the document was served (electronic or mail), read, refused. */
  deliveries: (documentId: string) => request<Delivery[]>('documents', `${doc(documentId)}/deliveries`),
  /** Signatures, chain, time-stamps and seal of the latest revision. */
  verification: (documentId: string) => request<Verification>('documents', `${doc(documentId)}/verification`),
  /** Any PDF, checked against the configured trust roots. */
  verifyPdf: (file: Blob) =>
    request<Verification>('documents', '/v1/verifications', {
      method: 'POST',
      raw: file,
      headers: { 'Content-Type': 'application/pdf' },
    }),
  /** An officer checked the upload against the original: the marked copy is issued; 409 when done twice. */
  markChecked: (uploadId: string, original_location: string | null) =>
    request<DocumentRecord>('documents', `/v1/uploads/${encodeURIComponent(uploadId)}/verification`, {
      method: 'POST',
      body: { original_location: original_location || null },
    }),
  /** The uploaded file as an object URL (the API needs the bearer token). */
  uploadUrl: (uploadId: string) => blobUrl(`/v1/uploads/${encodeURIComponent(uploadId)}/content`),
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
  pdfUrl: (documentId: string) => blobUrl(`${doc(documentId)}/pdf`),
};
