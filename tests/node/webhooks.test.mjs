// Webhooks (docs/webhooks.md) verified by the Node SDK: a background response's `response.completed`
// event, POSTed by the fake to a receiver on a loopback port, passes client.webhooks.unwrap with the
// scenario's secret and fails it with another.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { test } from 'node:test';

import { tenant } from './helpers.mjs';

const SECRET = 'whsec_' + Buffer.from("the receiver's secret").toString('base64');

test('a webhook the fake sends passes webhooks.unwrap', async () => {
  const got = [];
  const receiver = createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      got.push({ body: Buffer.concat(chunks).toString('utf8'), headers: request.headers });
      response.writeHead(200).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  try {
    const t = tenant('webhooks');
    await t.load({ webhooks: [{ url: `http://127.0.0.1:${receiver.address().port}/hook`, secret: SECRET }] });
    const client = t.client();
    let response = await client.responses.create({ model: 'gpt-4o-mini', input: 'Hi', background: true });
    while (response.status === 'queued' || response.status === 'in_progress') {
      response = await client.responses.retrieve(response.id);
    }
    const listed = await t.webhooks();
    assert.equal(listed.pending, 0);
    assert.deepEqual(listed.data.map((d) => d.status), ['delivered']);
    assert.equal(got.length, 1);

    const event = await client.webhooks.unwrap(got[0].body, got[0].headers, SECRET);
    assert.equal(event.type, 'response.completed');
    assert.equal(event.data.id, response.id);
    assert.equal(event.created_at, response.completed_at);
    const wrong = 'whsec_' + Buffer.from('another secret').toString('base64');
    await assert.rejects(client.webhooks.unwrap(got[0].body, got[0].headers, wrong));
  } finally {
    receiver.close();
  }
});
