import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App';
import { loadConfig } from './config';
import i18n from './i18n';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

loadConfig()
  .then(() =>
    root.render(
      <StrictMode>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </StrictMode>,
    ),
  )
  .catch((err) => {
    root.render(
      <main className="error" role="alert">
        <p>{i18n.t('errors.config')}</p>
        <p>{String(err)}</p>
      </main>,
    );
  });
