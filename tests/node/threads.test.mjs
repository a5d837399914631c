// Assistants, threads and messages through the official Node SDK: `for await` auto-pagination.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import OpenAI from 'openai';

import { tenant } from './helpers.mjs';

test('for await walks every page of messages, asking for each page after the last id', async () => {
  const t = tenant('pages');
  const client = t.client();
  const thread = await client.beta.threads.create();
  const ids = [];
  for (let i = 0; i < 25; i += 1) {
    const message = await client.beta.threads.messages.create(thread.id, { role: 'user', content: `m${i}` });
    ids.push(message.id);
  }

  const walked = [];
  for await (const message of client.beta.threads.messages.list(thread.id, { limit: 4, order: 'asc' })) {
    walked.push([message.id, message.content[0].text.value]);
  }

  assert.deepEqual(walked, ids.map((id, i) => [id, `m${i}`]));
  const pages = (await t.requests()).filter((r) => r.method === 'GET' && r.path === `/v1/threads/${thread.id}/messages`);
  assert.equal(pages.length, 7); // 25 messages, 4 per page
  assert.deepEqual(pages.map((r) => r.query.after ?? null),
    [null, ids[3], ids[7], ids[11], ids[15], ids[19], ids[23]]);
  assert.ok(pages.every((r) => r.query.limit === '4' && r.query.order === 'asc'));

  const newestFirst = [];
  for await (const message of client.beta.threads.messages.list(thread.id, { limit: 10 })) {
    newestFirst.push(message.id);
  }
  assert.deepEqual(newestFirst, [...ids].reverse());

  const page = await client.beta.threads.messages.list(thread.id, { limit: 10, order: 'asc' });
  assert.deepEqual(page.data.map((m) => m.id), ids.slice(0, 10));
  assert.equal(page.has_more, true);
  assert.ok(page.hasNextPage());
  const next = await page.getNextPage();
  assert.deepEqual(next.data.map((m) => m.id), ids.slice(10, 20));
});

test('assistants CRUD and list pages', async () => {
  const t = tenant('assistants');
  const client = t.client();
  const created = [];
  for (let i = 0; i < 5; i += 1) {
    created.push((await client.beta.assistants.create({ model: 'gpt-4o', name: `a${i}`, metadata: { n: `${i}` } })).id);
  }

  const listed = [];
  for await (const assistant of client.beta.assistants.list({ limit: 2 })) listed.push(assistant.id);
  assert.deepEqual(listed, [...created].reverse());

  const updated = await client.beta.assistants.update(created[0], { name: 'renamed', instructions: 'Be nice.' });
  assert.deepEqual([updated.name, updated.instructions, updated.model, updated.metadata],
    ['renamed', 'Be nice.', 'gpt-4o', { n: '0' }]);
  const deleted = await client.beta.assistants.delete(created[0]);
  assert.deepEqual(deleted, { id: created[0], object: 'assistant.deleted', deleted: true });
  await assert.rejects(client.beta.assistants.retrieve(created[0]), OpenAI.NotFoundError);
  const left = [];
  for await (const assistant of client.beta.assistants.list({ limit: 2, order: 'asc' })) left.push(assistant.id);
  assert.deepEqual(left, created.slice(1));
});
