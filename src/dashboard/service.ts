/** The dashboard on 8000 (entry point wired by src/cloud.ts; the app itself is in app.tsx, which needs JSX). */
export { createDashboard, type DashboardDeps } from "./app.tsx";
