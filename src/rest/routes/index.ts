import type { Route } from '../route.js';
import { adminRoutes } from './admin.js';
import { ofrepRoutes } from './ofrep.js';
import { publicRoutes } from './public.js';
import { tenantRoutes } from './tenant.js';
import { v1Routes } from './v1.js';

/** Every documented REST path: the one table the plugin, the OpenAPI document and the tests walk. */
export const routes: readonly Route[] = [...tenantRoutes, ...adminRoutes, ...v1Routes, ...publicRoutes, ...ofrepRoutes];
