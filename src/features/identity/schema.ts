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
