import { createRouter, createWebHistory } from 'vue-router';
import { useSessionStore } from './stores/session';

export const router = createRouter({
  history: createWebHistory('/console/'),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue') },
    {
      path: '/',
      component: () => import('./views/ConsoleLayout.vue'),
      children: [
        { path: '', name: 'workspace', component: () => import('./views/WorkspaceView.vue') },
        {
          path: 'dashboard',
          name: 'dashboard',
          meta: { admin: true },
          component: () => import('./views/admin/DashboardView.vue'),
        },
        {
          path: 'reports',
          name: 'reports',
          meta: { admin: true },
          component: () => import('./views/admin/ReportsView.vue'),
        },
        {
          path: 'conversations',
          name: 'monitor',
          meta: { admin: true },
          component: () => import('./views/admin/MonitorView.vue'),
        },
        {
          path: 'agents',
          name: 'agents',
          meta: { admin: true },
          component: () => import('./views/admin/AgentsView.vue'),
        },
        {
          path: 'channels',
          name: 'channels',
          meta: { admin: true },
          component: () => import('./views/admin/ChannelsView.vue'),
        },
        {
          path: 'robot',
          name: 'robot',
          meta: { admin: true },
          component: () => import('./views/admin/RobotView.vue'),
        },
        {
          path: 'saved-replies',
          name: 'saved-replies',
          component: () => import('./views/SavedRepliesView.vue'),
        },
        {
          path: 'labels',
          name: 'labels',
          meta: { admin: true },
          component: () => import('./views/admin/LabelsView.vue'),
        },
        {
          path: 'api-keys',
          name: 'api-keys',
          meta: { admin: true },
          component: () => import('./views/admin/ApiKeysView.vue'),
        },
        {
          path: 'webhooks',
          name: 'webhooks',
          meta: { admin: true },
          component: () => import('./views/admin/WebhooksView.vue'),
        },
        {
          path: 'audit',
          name: 'audit',
          meta: { admin: true },
          component: () => import('./views/admin/AuditView.vue'),
        },
        {
          path: 'privacy',
          name: 'privacy',
          meta: { admin: true },
          component: () => import('./views/admin/PrivacyView.vue'),
        },
      ],
    },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
});

router.beforeEach(async (to) => {
  const session = useSessionStore();
  await session.restore();
  if (to.name === 'login') return session.account ? { path: '/' } : true;
  if (!session.account) return { name: 'login', query: { next: to.fullPath } };
  if (to.name === 'workspace' && session.isAdmin) return { name: 'dashboard' };
  if (to.meta.admin && !session.isAdmin) return { name: 'workspace' };
  return true;
});
