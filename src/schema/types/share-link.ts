import type { ShareLinkRow } from '../../db/tables.js';
import {
  type CreatedShareLink,
  createShareLink,
  DEFAULT_EXPIRES_HOURS,
  DEFAULT_SHARE_SCOPE,
  isShareLinkActive,
  MAX_EXPIRES_HOURS,
  MAX_SHARE_LABEL_LENGTH,
  MIN_EXPIRES_HOURS,
  revokeShareLink,
  SHARE_SCOPES,
  shareLinksOfScan,
  viewSharedScan,
} from '../../services/share-links.js';
import { builder } from '../builder.js';
import { Scan } from './scan.js';

const ShareScopeEnum = builder.enumType('ShareScope', {
  description: 'What a share link shows: the report; the report and its evidence; or the full handoff.',
  values: SHARE_SCOPES,
});

const ShareLink = builder.objectRef<ShareLinkRow>('ShareLink').implement({
  description: 'A capability link to one scan. Its token is shown once, in CreateShareLinkPayload, and never stored.',
  fields: (t) => ({
    id: t.exposeID('id'),
    label: t.exposeString('label', { nullable: true }),
    scope: t.field({ type: ShareScopeEnum, resolve: (l) => l.scope }),
    expiresAt: t.field({ type: 'DateTime', resolve: (l) => l.expires_at }),
    createdAt: t.field({ type: 'DateTime', resolve: (l) => l.created_at }),
    createdByKeyId: t.exposeID('created_by_key_id', { nullable: true }),
    revokedAt: t.field({ type: 'DateTime', nullable: true, resolve: (l) => l.revoked_at }),
    active: t.boolean({
      description: 'Neither revoked nor expired.',
      resolve: (l, _args, ctx) => isShareLinkActive(l, ctx.now()),
    }),
  }),
});

builder.objectField(Scan, 'shareLinks', (t) =>
  t.field({
    type: [ShareLink],
    description: "The scan's share links, newest first, without tokens.",
    resolve: (scan, _args, ctx) => shareLinksOfScan(ctx, scan),
  }),
);

builder.queryField('sharedScan', (t) =>
  t.field({
    type: 'JSON',
    nullable: true,
    description:
      'The public view behind a share token (no key). Unknown, expired, revoked and tampered tokens are all NOT_FOUND.',
    skipTypeScopes: true,
    authScopes: { public: true },
    args: { token: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => viewSharedScan(ctx, args.token),
  }),
);

const CreateShareLinkInput = builder.inputType('CreateShareLinkInput', {
  fields: (t) => ({
    expiresHours: t.int({
      required: false,
      defaultValue: DEFAULT_EXPIRES_HOURS,
      description: `Link lifetime in hours, ${MIN_EXPIRES_HOURS}-${MAX_EXPIRES_HOURS}.`,
    }),
    label: t.string({
      required: false,
      description: `Human-readable label, at most ${MAX_SHARE_LABEL_LENGTH} characters.`,
    }),
    scope: t.field({ type: ShareScopeEnum, required: false, defaultValue: DEFAULT_SHARE_SCOPE }),
  }),
});

const CreateShareLinkPayload = builder.objectRef<CreatedShareLink>('CreateShareLinkPayload').implement({
  fields: (t) => ({
    url: t.exposeString('url', { description: 'Public share URL: PUBLIC_BASE_URL (or this server) + /share/{token}.' }),
    token: t.exposeString('token', { description: 'The capability: shown here once, stored only as a hash.' }),
    shareLink: t.field({ type: ShareLink, resolve: (p) => p.shareLink }),
  }),
});

const RevokeShareLinkPayload = builder.objectRef<{ shareLink: ShareLinkRow }>('RevokeShareLinkPayload').implement({
  fields: (t) => ({ shareLink: t.field({ type: ShareLink, nullable: true, resolve: (p) => p.shareLink }) }),
});

builder.mutationFields((t) => ({
  createShareLink: t.field({
    type: CreateShareLinkPayload,
    nullable: true,
    description: 'Creates a share link to a scan (operator or admin).',
    authScopes: { operator: true },
    args: { scanId: t.arg.id({ required: true }), input: t.arg({ type: CreateShareLinkInput, required: false }) },
    resolve: (_root, args, ctx) => createShareLink(ctx, args.scanId, args.input ?? {}),
  }),
  revokeShareLink: t.field({
    type: RevokeShareLinkPayload,
    nullable: true,
    description: 'Ends a share link at once (operator or admin); revoking twice is harmless.',
    authScopes: { operator: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => ({ shareLink: await revokeShareLink(ctx, args.id) }),
  }),
}));
