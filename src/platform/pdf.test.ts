import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderPdf } from './pdf.ts';

test('renders text with the bundled fonts into a PDF', async () => {
  const pdf = await renderPdf({
    content: [
      { text: 'Self review 2026/27 – “quoted” £10', bold: true },
      { text: 'Roboto italic', italics: true },
    ],
  });
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.match(pdf.toString('latin1'), /Roboto/);
});

test('a document may not make the server read a local file or fetch a URL', async () => {
  await assert.rejects(renderPdf({ content: [{ image: '/etc/passwd' }] }), /Access to local file denied by resource access policy: \/etc\/passwd/);
  await assert.rejects(
    renderPdf({ content: [{ image: 'logo' }], images: { logo: 'https://example.org/logo.png' } }),
    /Access to URL denied by resource access policy: https:\/\/example\.org\/logo\.png/,
  );
});
