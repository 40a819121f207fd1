import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { devSignIn, personas, type Persona } from '../auth/dev';
import { beginOidcSignIn, completeOidcSignIn } from '../auth/oidc';
import { homeFor, wasExpired } from '../auth/session';
import { config } from '../config';
import { ErrorBox } from '../components/ui';

/** Only same-app paths are followed after sign-in. */
function safeNext(next: string | null): string | null {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : null;
}

export function SignIn() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get('next'));
  const cfg = config();
  const [people, setPeople] = useState<Persona[]>([]);
  const [enterpriseId, setEnterpriseId] = useState(params.get('enterprise_id') ?? '');
  const [error, setError] = useState<unknown>(null);
  const auto = useRef(false);

  const signInAs = async (personaId: string, ent?: string | null) => {
    try {
      const principal = await devSignIn(personaId, ent);
      navigate(next ?? homeFor(principal.role), { replace: true });
    } catch (err) {
      setError(err);
    }
  };

  useEffect(() => {
    if (!cfg.devSignIn) return;
    personas()
      .then((list) => {
        setPeople(list);
        if (!enterpriseId) setEnterpriseId(list.find((p) => p.enterprise_id)?.enterprise_id ?? '');
      })
      .catch(setError);
    // A development link (?persona=...) signs in at once.
    const persona = params.get('persona');
    if (persona && !auto.current) {
      auto.current = true;
      void signInAs(persona, params.get('enterprise_id'));
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <div className="narrow">
      <h1>{t('signIn.title')}</h1>
      {wasExpired() && (
        <p className="notice" role="status">
          {t('signIn.expired')}
        </p>
      )}
      <p>{t('signIn.intro')}</p>
      <ErrorBox error={error} />
      {cfg.oidc && (
        <button type="button" className="primary" onClick={() => void beginOidcSignIn(next ?? '/').catch(setError)}>
          {t('signIn.oidc')}
        </button>
      )}
      {cfg.devSignIn && (
        <section className="card dev" aria-labelledby="dev-title">
          <h2 id="dev-title">{t('signIn.devTitle')}</h2>
          <p className="warning">{t('signIn.devWarning')}</p>
          <label>
            {t('signIn.enterpriseId')}
            <input value={enterpriseId} onChange={(e) => setEnterpriseId(e.target.value)} />
          </label>
          <ul className="personas">
            {people.map((p) => (
              <li key={p.persona_id}>
                <button
                  type="button"
                  data-persona={p.persona_id}
                  onClick={() => void signInAs(p.persona_id, p.role === 'enterprise' ? enterpriseId : null)}
                >
                  {t('signIn.as', { name: p.name, role: t(`roles.${p.role}`) })}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {!cfg.oidc && !cfg.devSignIn && <p role="alert">{t('signIn.noMethod')}</p>}
    </div>
  );
}

export function OidcCallback() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const done = useRef(false);
  useEffect(() => {
    if (done.current) return;
    done.current = true;
    completeOidcSignIn()
      .then((next) => navigate(safeNext(next) ?? '/', { replace: true }))
      .catch(setError);
  }, [navigate]);
  return (
    <div className="narrow">
      <h1>{t('signIn.title')}</h1>
      {error ? <ErrorBox error={error} /> : <p role="status">{t('signIn.callback')}</p>}
    </div>
  );
}
