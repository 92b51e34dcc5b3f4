// An unknown URL: a browser gets an HTML page with the navigation, scripts and /api/* keep the JSON 404 of the app.
import type { RequestHandler } from 'express';
import type { Access } from '../auth/access.js';
import { identify } from '../auth/guards.js';
import { ctxOf, sendPage } from '../deps.js';
import { securityHeaders } from '../security.js';
import { messagePage } from '../views/layout.js';

export const notFoundPage = (access: Access): RequestHandler[] => [
  (req, _res, next) => (req.method === 'GET' && !req.path.startsWith('/api/') && req.accepts(['json', 'html']) === 'html' ? next() : next('router')),
  securityHeaders,
  identify(access, false),
  (req, res) => sendPage(res, messagePage(ctxOf(req, res), 'Page not found', `There is no page at ${req.path}.`), 404),
];
