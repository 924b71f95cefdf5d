import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { testApp } from '../../../test/app.ts';
import { organisation, session, user } from '../../../test/factories.ts';
import { cookieNames } from '../../app.ts';

const h = await testApp();
await h.app.listen({ host: '127.0.0.1', port: 0 });
const port = (h.app.server.address() as AddressInfo).port;
const org = await organisation(h.db.owner);

/**
 * Sends only the head of a request announcing a large body and waits for an answer. A server that checked access
 * after reading the body would wait for the rest and never answer in time.
 */
function headOnly(path: string, contentType: string, cookie?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path,
      headers: {
        'content-type': contentType,
        'content-length': String(contentType.startsWith('multipart/') ? 20 * 1024 * 1024 : 1_000_000),
        ...(cookie ? { cookie } : {}),
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no answer before the body was sent: access is checked after reading it'));
    }, 5_000);
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.flushHeaders();
  });
}

const MULTIPART = 'multipart/form-data; boundary=----warden';

test('an anonymous request is refused before its body is read: 401 from the API, sent to sign in from a page', async () => {
  assert.equal(await headOnly('/api/v1/incidents', 'application/json'), 401);
  assert.equal(await headOnly(`/api/v1/cases/${randomUUID()}/attachments`, MULTIPART), 401);
  assert.equal(await headOnly(`/cases/${randomUUID()}/attachments`, MULTIPART), 302);
});

test('a request by a role the route does not allow is refused (403) before its body is read', async () => {
  const reporter = await user(h.db.owner, { roles: [[org.id, 'reporter']] });
  const cookie = `${cookieNames(false).session}=${await session(h.db.owner, reporter, org.id)}`;
  assert.equal(await headOnly(`/api/v1/cases/${randomUUID()}/attachments`, MULTIPART, cookie), 403);
  assert.equal(await headOnly(`/api/v1/cases/${randomUUID()}/triage`, 'application/json', cookie), 403);
});
