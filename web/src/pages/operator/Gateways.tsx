import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { gateway } from '../../api/gateway';
import { usePrincipal } from '../../App';
import { ErrorBox, Loading, useLoad, When } from '../../components/ui';

export function Gateways() {
  const { t } = useTranslation();
  const principal = usePrincipal();
  const list = useLoad(() => gateway.instances(), [], 5000);
  const [message, setMessage] = useState('');
  const [error, setError] = useState<unknown>(null);
  const drain = (id: string) => {
    setError(null);
    gateway
      .drain(id)
      .then(() => {
        setMessage(t('operator.drained', { id }));
        list.reload();
      })
      .catch(setError);
  };
  if (list.loading) return <Loading />;
  return (
    <>
      <h1>{t('operator.title')}</h1>
      <ErrorBox error={list.error ?? error} onRetry={list.reload} />
      {message && (
        <p role="status" className="ok">
          {message}
        </p>
      )}
      {(list.data ?? []).length === 0 ? (
        <p>{t('operator.none')}</p>
      ) : (
        <div className="scroll">
          <table data-testid="gateways">
            <thead>
              <tr>
                <th scope="col">{t('operator.instance')}</th>
                <th scope="col">{t('operator.status')}</th>
                <th scope="col">{t('operator.sessions')}</th>
                <th scope="col">{t('operator.feeds')}</th>
                <th scope="col">{t('operator.viewers')}</th>
                <th scope="col">{t('operator.bitrate')}</th>
                <th scope="col">{t('operator.cpu')}</th>
                <th scope="col">{t('operator.heartbeat')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('operator.drain')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(list.data ?? []).map((g) => (
                <tr key={g.instance_id}>
                  <td>
                    {g.instance_id}
                    <br />
                    <code>{g.advertised_url}</code>
                  </td>
                  <td>
                    {g.alive ? t('operator.alive') : t('operator.down')}
                    {g.draining && <> · {t('operator.draining')}</>}
                  </td>
                  <td>{g.sessions}</td>
                  <td>{g.feeds}</td>
                  <td>{g.viewers}</td>
                  <td>{g.bitrate_kbps.toFixed(0)}</td>
                  <td>{g.cpu_pct.toFixed(1)}</td>
                  <td>
                    <When at={g.last_heartbeat_at} />
                  </td>
                  <td>
                    {principal?.role === 'operator' && !g.draining && (
                      <button type="button" onClick={() => drain(g.instance_id)} aria-label={t('operator.drainLabel', { id: g.instance_id })}>
                        {t('operator.drain')}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
