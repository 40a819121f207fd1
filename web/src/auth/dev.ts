// The embedded stack's development sign-in (/dev/*, on only with RVI_CONSOLE_DEV_SIGN_IN):
// tokens for the demo's people, minted by the console server.

import { saveToken, type Principal } from './session';

export interface Persona {
  persona_id: string;
  role: string;
  subject: string;
  name: string;
  credential_no: string | null;
  enterprise_id: string | null;
}

export async function personas(): Promise<Persona[]> {
  const response = await fetch('/dev/personas');
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return (await response.json()) as Persona[];
}

export async function devSignIn(persona: string, enterpriseId?: string | null): Promise<Principal> {
  const response = await fetch('/dev/sign-in', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ persona, enterprise_id: enterpriseId || null }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail ?? `HTTP ${response.status}`);
  return saveToken(body.access_token as string, 'dev');
}
