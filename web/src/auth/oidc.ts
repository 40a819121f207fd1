// OpenID Connect: authorization code flow with PKCE (oidc-client-ts does PKCE for the code flow),
// against the provider in /config.json. The access token must carry rvi's claims (role, and
// enterprise_id or credential_no); the services verify it with the provider's JWKS.

import { UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { config } from '../config';
import { saveToken } from './session';

let manager: UserManager | null = null;

function userManager(): UserManager {
  const oidc = config().oidc;
  if (!oidc) throw new Error('no OpenID Provider configured');
  manager ??= new UserManager({
    authority: oidc.issuer,
    client_id: oidc.clientId,
    redirect_uri: `${location.origin}/auth/callback`,
    post_logout_redirect_uri: `${location.origin}/sign-in`,
    response_type: 'code',
    scope: oidc.scope,
    userStore: new WebStorageStateStore({ store: sessionStorage }),
  });
  return manager;
}

export async function beginOidcSignIn(next: string): Promise<void> {
  await userManager().signinRedirect({ state: { next } });
}

/** Completes the redirect back from the provider; returns where to go next. */
export async function completeOidcSignIn(): Promise<string> {
  const user = await userManager().signinRedirectCallback();
  saveToken(user.access_token, 'oidc');
  const state = user.state as { next?: string } | undefined;
  return state?.next || '/';
}
