// Third-party browser files served from the installed npm packages (no CDN): resolved through Node's module
// resolution, so the same code works from the TypeScript sources and from a compiled dist/ build.
import { createRequire } from 'node:module';
import { Router } from 'express';

const require = createRequire(import.meta.url);

/** URL under /assets/vendor/ -> file in node_modules. */
export const VENDOR_FILES: Record<string, string> = {
  'uplot.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
  'uplot.css': require.resolve('uplot/dist/uPlot.min.css'),
};

export function vendorRoutes(): Router {
  const router = Router();
  for (const [name, file] of Object.entries(VENDOR_FILES)) {
    router.get(`/assets/vendor/${name}`, (_req, res) => {
      res.sendFile(file, { maxAge: '1d', headers: { 'X-Content-Type-Options': 'nosniff' } });
    });
  }
  return router;
}
