// Runtime configuration from the server that serves the app (/config.json): the four APIs'
// origins, the OpenID Provider, and whether the development sign-in is on.

export interface ApiOrigins {
  eligibility: string;
  scheduling: string;
  videoGateway: string;
  documents: string;
}

export interface OidcConfig {
  issuer: string;
  clientId: string;
  scope: string;
}

export interface AppConfig {
  apis: ApiOrigins;
  oidc: OidcConfig | null;
  devSignIn: boolean;
}

let loaded: AppConfig | null = null;

export async function loadConfig(): Promise<AppConfig> {
  if (loaded) return loaded;
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/config.json: HTTP ${response.status}`);
  loaded = (await response.json()) as AppConfig;
  return loaded;
}

export function config(): AppConfig {
  if (!loaded) throw new Error('configuration not loaded');
  return loaded;
}
