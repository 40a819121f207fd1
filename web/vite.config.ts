import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In `npm run dev`, the console's server (make run, port 8000) answers /config.json and /dev/*.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: {
    proxy: { '/config.json': 'http://127.0.0.1:8000', '/dev': 'http://127.0.0.1:8000' },
  },
});
