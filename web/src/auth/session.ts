// The signed-in person: a bearer token (from the OpenID Provider or the development sign-in)
// kept in sessionStorage for this tab, and the rvi claims read from it.

export type Role = 'officer' | 'supervisor' | 'enterprise' | 'system' | 'operator';

export interface Principal {
  subject: string;
  role: Role;
  name: string | null;
  enterpriseId: string | null;
  credentialNo: string | null;
  /** the customs district an officer belongs to (token claim), e.g. Ningbo */
  district: string | null;
  expiresAt: number; // epoch seconds
  source: 'oidc' | 'dev';
}

const KEY = 'rvi.session';
type Listener = () => void;
const listeners = new Set<Listener>();
let expiredFlag = false;

function decodeClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) throw new Error('not a JWT');
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(decodeURIComponent(escape(json))) as Record<string, unknown>;
}

export function principalOf(token: string, source: Principal['source']): Principal {
  const c = decodeClaims(token);
  return {
    subject: String(c.sub ?? ''),
    role: String(c.role ?? '') as Role,
    name: (c.name as string) ?? null,
    enterpriseId: (c.enterprise_id as string) ?? null,
    credentialNo: (c.credential_no as string) ?? null,
    district: (c.district as string) ?? null,
    expiresAt: Number(c.exp ?? 0),
    source,
  };
}

export function saveToken(token: string, source: Principal['source']): Principal {
  const principal = principalOf(token, source);
  sessionStorage.setItem(KEY, JSON.stringify({ token, source }));
  expiredFlag = false;
  listeners.forEach((l) => l());
  return principal;
}

function stored(): { token: string; source: Principal['source'] } | null {
  const raw = sessionStorage.getItem(KEY);
  return raw ? (JSON.parse(raw) as { token: string; source: Principal['source'] }) : null;
}

export function currentToken(): string | null {
  const s = stored();
  if (!s) return null;
  return principalOf(s.token, s.source).expiresAt * 1000 > Date.now() ? s.token : null;
}

export function currentPrincipal(): Principal | null {
  const token = currentToken();
  const s = stored();
  return token && s ? principalOf(token, s.source) : null;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

/** A 401 from an API: the token expired or was refused; the app sends the person to sign in. */
export function signalExpired(): void {
  expiredFlag = true;
  sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

export function wasExpired(): boolean {
  return expiredFlag;
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function homeFor(role: Role | undefined): string {
  switch (role) {
    case 'officer':
    case 'supervisor':
      return '/officer';
    case 'enterprise':
      return '/enterprise';
    case 'operator':
    case 'system':
      return '/operator';
    default:
      return '/sign-in';
  }
}
