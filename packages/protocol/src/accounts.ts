import { z } from 'zod';
import { DisplayName, HttpUrl, Id, LookupText, Timestamp } from './common.js';

export const Role = z.enum(['admin', 'agent']);
export type Role = z.infer<typeof Role>;

/** Login names: 2..32 of letters, digits, `_`, `.`, `-`; compared case-insensitively (stored lower-case). */
export const Username = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{2,32}$/, 'must be 2 to 32 letters, digits, "_", "." or "-"')
  .transform((v) => v.toLowerCase());

export const Password = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(256, 'must be at most 256 characters');

/** Cap on concurrent active conversations; null means no cap. */
export const MaxConcurrent = z.number().int().min(1).max(1000).nullable();

export const Account = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  avatarUrl: z.string().nullable(),
  role: Role,
  maxConcurrent: z.number().int().nullable(),
  enabled: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Account = z.infer<typeof Account>;

// ---- POST /api/v1/auth/login
export const LoginRequest = z.object({
  username: LookupText.trim().min(1).max(64),
  password: z.string().min(1).max(256),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const LoginResponse = z.object({
  token: z.string(),
  account: Account,
});
export type LoginResponse = z.infer<typeof LoginResponse>;

// ---- GET /api/v1/me, PATCH /api/v1/me
export const MeResponse = z.object({ account: Account });
export type MeResponse = z.infer<typeof MeResponse>;

/** An uploaded image (POST /api/v1/uploads) to use as the avatar; it becomes public. */
const AvatarFileId = Id;
const oneAvatar = (v: { avatarUrl?: unknown; avatarFileId?: unknown }) =>
  v.avatarUrl === undefined || v.avatarFileId === undefined;
const oneAvatarMessage = { message: 'give avatarUrl or avatarFileId, not both' };

export const UpdateMeRequest = z
  .object({
    displayName: DisplayName.optional(),
    avatarUrl: HttpUrl.nullable().optional(),
    avatarFileId: AvatarFileId.optional(),
  })
  .strict()
  .refine(oneAvatar, oneAvatarMessage);
export type UpdateMeRequest = z.infer<typeof UpdateMeRequest>;

// ---- POST /api/v1/me/password
export const ChangePasswordRequest = z
  .object({
    currentPassword: z.string().min(1).max(256),
    newPassword: Password,
  })
  .strict();
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

// ---- /api/v1/accounts (admins only): every console account, agents and admins. The older
// /api/v1/agents takes the same bodies and answers with `agent`/`agents` keys instead.
export const AccountListResponse = z.object({ accounts: z.array(Account) });
export type AccountListResponse = z.infer<typeof AccountListResponse>;

export const AccountResponse = z.object({ account: Account });
export type AccountResponse = z.infer<typeof AccountResponse>;

export const CreateAccountResponse = z.object({
  account: Account,
  /** Present only when the server generated the password. */
  password: z.string().optional(),
});
export type CreateAccountResponse = z.infer<typeof CreateAccountResponse>;

export const AgentListResponse = z.object({ agents: z.array(Account) });
export type AgentListResponse = z.infer<typeof AgentListResponse>;

export const AgentResponse = z.object({ agent: Account });
export type AgentResponse = z.infer<typeof AgentResponse>;

export const CreateAgentRequest = z
  .object({
    username: Username,
    displayName: DisplayName,
    /** Omit to have the server generate one; it is answered once as `password`. */
    password: Password.optional(),
    role: Role.default('agent'),
    avatarUrl: HttpUrl.nullable().optional(),
    maxConcurrent: MaxConcurrent.optional(),
  })
  .strict();
export type CreateAgentRequest = z.input<typeof CreateAgentRequest>;

export const CreateAgentResponse = z.object({
  agent: Account,
  /** Present only when the server generated the password. */
  password: z.string().optional(),
});
export type CreateAgentResponse = z.infer<typeof CreateAgentResponse>;

export const UpdateAgentRequest = z
  .object({
    displayName: DisplayName.optional(),
    avatarUrl: HttpUrl.nullable().optional(),
    avatarFileId: AvatarFileId.optional(),
    maxConcurrent: MaxConcurrent.optional(),
    role: Role.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .refine(oneAvatar, oneAvatarMessage);
export type UpdateAgentRequest = z.infer<typeof UpdateAgentRequest>;

// ---- POST /api/v1/agents/:id/password
export const ResetPasswordRequest = z
  .object({
    /** Omit to have the server generate one. */
    password: Password.optional(),
  })
  .strict();
export type ResetPasswordRequest = z.infer<typeof ResetPasswordRequest>;

export const ResetPasswordResponse = z.object({ password: z.string() });
export type ResetPasswordResponse = z.infer<typeof ResetPasswordResponse>;

export const IdParams = z.object({ id: Id });
export type IdParams = z.infer<typeof IdParams>;
