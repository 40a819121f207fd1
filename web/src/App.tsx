import { useEffect, useRef, useSyncExternalStore, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router';
import { currentPrincipal, homeFor, onSessionChange, signOut, type Principal, type Role } from './auth/session';
import { LANGUAGES } from './i18n';
import { EnterpriseDocuments } from './pages/enterprise/Documents';
import { EnterpriseHome } from './pages/enterprise/Home';
import { EnterpriseInspection } from './pages/enterprise/Inspection';
import { Publish } from './pages/enterprise/Publish';
import { InspectionPage } from './pages/officer/Inspection';
import { LiveSession } from './pages/officer/LiveSession';
import { Gateways } from './pages/operator/Gateways';
import { DocumentDetails } from './pages/DocumentDetails';
import { OfficerHome } from './pages/officer/Home';
import { OidcCallback, SignIn } from './pages/SignIn';
import { Verify } from './pages/Verify';

let cached: { key: string; value: Principal | null } = { key: '', value: null };
function snapshot(): Principal | null {
  const p = currentPrincipal();
  const key = p ? `${p.subject}:${p.expiresAt}:${p.role}` : '';
  if (key !== cached.key) cached = { key, value: p };
  return cached.value;
}

export function usePrincipal(): Principal | null {
  return useSyncExternalStore(onSessionChange, snapshot);
}

function RequireRole({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const principal = usePrincipal();
  const location = useLocation();
  if (!principal) {
    // Back to sign-in, keeping the page (path and query) to come back to.
    const next = encodeURIComponent(location.pathname + location.search + location.hash);
    return <Navigate to={`/sign-in?next=${next}`} replace />;
  }
  if (!roles.includes(principal.role)) return <Navigate to={homeFor(principal.role)} replace />;
  return <>{children}</>;
}

function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  return (
    <label className="lang">
      <span>{t('app.language')}</span>
      <select value={i18n.resolvedLanguage} onChange={(e) => void i18n.changeLanguage(e.target.value)}>
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code} lang={l.code}>
            {l.label}
          </option>
        ))}
      </select>
    </label>
  );
}

function Header() {
  const { t } = useTranslation();
  const principal = usePrincipal();
  return (
    <header className="top">
      <Link to={homeFor(principal?.role)} className="brand">
        {t('app.title')}
      </Link>
      {principal && (
        <nav aria-label={t('app.nav.main')}>
          {(principal.role === 'officer' || principal.role === 'supervisor') && (
            <Link to="/officer">{t('app.nav.officer')}</Link>
          )}
          {principal.role === 'enterprise' && <Link to="/enterprise">{t('app.nav.enterprise')}</Link>}
          {principal.role === 'operator' && <Link to="/operator">{t('app.nav.operator')}</Link>}
          {principal.role !== 'operator' && <Link to="/verify">{t('app.nav.verify')}</Link>}
        </nav>
      )}
      <div className="who">
        <LanguageSwitch />
        {principal && (
          <>
            {principal.source === 'dev' && <span className="badge dev">{t('app.devBadge')}</span>}
            <span>
              {t('app.signedInAs', { name: principal.name ?? principal.subject, role: t(`roles.${principal.role}`) })}
            </span>
            <button type="button" onClick={signOut}>
              {t('app.signOut')}
            </button>
          </>
        )}
      </div>
    </header>
  );
}

const STAFF: Role[] = ['officer', 'supervisor'];
const READERS: Role[] = ['officer', 'supervisor', 'enterprise', 'system'];

export function App() {
  const { t } = useTranslation();
  const principal = usePrincipal();
  const location = useLocation();
  useEffect(() => {
    document.title = t('app.title');
  }, [t]);
  // After a client-side navigation, focus the new page's content (not on the first load: the
  // skip link stays the first stop of the keyboard).
  const firstPath = useRef(location.pathname);
  useEffect(() => {
    if (location.pathname !== firstPath.current) {
      firstPath.current = '';
      document.getElementById('main')?.focus();
    }
  }, [location.pathname]);
  return (
    <>
      <a className="skip" href="#main">
        {t('app.skip')}
      </a>
      <Header />
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Navigate to={homeFor(principal?.role)} replace />} />
          <Route path="/sign-in" element={<SignIn />} />
          <Route path="/auth/callback" element={<OidcCallback />} />
          <Route path="/officer" element={<RequireRole roles={STAFF}><OfficerHome /></RequireRole>} />
          <Route path="/officer/inspections/:id" element={<RequireRole roles={STAFF}><InspectionPage /></RequireRole>} />
          <Route path="/officer/inspections/:id/live" element={<RequireRole roles={STAFF}><LiveSession /></RequireRole>} />
          <Route path="/enterprise" element={<RequireRole roles={['enterprise']}><EnterpriseHome /></RequireRole>} />
          <Route path="/enterprise/inspections/:id" element={<RequireRole roles={['enterprise']}><EnterpriseInspection /></RequireRole>} />
          <Route path="/enterprise/inspections/:id/publish" element={<RequireRole roles={['enterprise']}><Publish /></RequireRole>} />
          <Route path="/enterprise/inspections/:id/documents" element={<RequireRole roles={['enterprise']}><EnterpriseDocuments /></RequireRole>} />
          <Route path="/documents/:documentId" element={<RequireRole roles={READERS}><DocumentDetails /></RequireRole>} />
          <Route path="/verify" element={<RequireRole roles={READERS}><Verify /></RequireRole>} />
          <Route path="/operator" element={<RequireRole roles={['operator', 'system']}><Gateways /></RequireRole>} />
          <Route path="*" element={<Navigate to="/" replace />} />
        </Routes>
      </main>
    </>
  );
}
