import { z } from 'zod';
import { blankToUndefined } from '../../platform/validation.ts';
import { organisationInput } from '../organisations/schema.ts';

export const signInInput = z.object({
  email: z.preprocess(blankToUndefined, z.string({ error: 'Enter your e-mail address' }).trim().max(320)),
  password: z.preprocess(blankToUndefined, z.string({ error: 'Enter your password' }).max(1024)),
});

export const setupInput = z
  .object({
    setupCode: z.preprocess(blankToUndefined, z.string({ error: 'Enter the set-up code printed when Warden started' }).trim()),
    name: z.preprocess(blankToUndefined, z.string({ error: 'Enter your full name' }).trim().max(200)),
    email: z.preprocess(blankToUndefined, z.email({ error: 'Enter an e-mail address in the correct format, like name@example.nhs.uk' }).trim().toLowerCase()),
    password: z.preprocess(blankToUndefined, z.string({ error: 'Enter a password' })),
  })
  .extend({
    orgName: organisationInput.shape.name,
    orgCode: organisationInput.shape.code,
    orgType: organisationInput.shape.type,
  });

const emailField = z.preprocess(
  blankToUndefined,
  z.email({ error: 'Enter an e-mail address in the correct format, like name@example.nhs.uk' }).trim().toLowerCase().max(320),
);

/** The "Forgotten your password?" form. */
export const passwordResetRequestInput = z.object({ email: emailField });

const newPassword = z.preprocess(blankToUndefined, z.string({ error: 'Enter a new password' }).max(1024, 'Password must be 128 characters or fewer'));
const confirmation = z.preprocess(blankToUndefined, z.string({ error: 'Enter the new password again' }).max(1024));
const sameTwice = (v: { password: string; confirmPassword: string }, ctx: z.RefinementCtx) => {
  if (v.password !== v.confirmPassword) ctx.addIssue({ code: 'custom', path: ['confirmPassword'], message: 'Enter the same password in both boxes' });
};

/** Choosing a new password from a reset link. */
export const newPasswordInput = z.object({ password: newPassword, confirmPassword: confirmation }).superRefine(sameTwice);

/** Changing the password while signed in: the current one proves it is the account holder at the keyboard. */
export const changePasswordInput = z
  .object({
    currentPassword: z.preprocess(blankToUndefined, z.string({ error: 'Enter your current password' }).max(1024)),
    password: newPassword,
    confirmPassword: confirmation,
  })
  .superRefine(sameTwice);

/** A TOTP code (6 digits) or a recovery code (16 letters and digits); spaces and hyphens are ignored. */
export const secondFactorInput = z.object({
  code: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.replace(/[\s-]/g, '')) : v),
    z
      .string({ error: 'Enter the code from your authenticator app' })
      .max(64, 'Enter the 6-digit code from your authenticator app, or a recovery code')
      .regex(/^(\d{6}|[A-Za-z0-9]{16})$/, 'Enter the 6-digit code from your authenticator app, or a recovery code'),
  ),
});

/** Confirming TOTP set-up: only a code from the app will do. */
export const totpCodeInput = z.object({
  code: z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.replace(/[\s-]/g, '')) : v),
    z.string({ error: 'Enter the 6-digit code from your authenticator app' }).regex(/^\d{6}$/, 'Enter the 6-digit code from your authenticator app'),
  ),
});
