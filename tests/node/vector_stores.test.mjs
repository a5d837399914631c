// Retrieval through the official Node SDK: files uploaded into a vector store with its polling helper, a
// ranked search, and a Responses call whose only tool is a file search over the store, cited.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { toFile } from 'openai';

import { tenant } from './helpers.mjs';

test('a store indexes its files, ranks the passage that shares the query\'s words, and answers cited', async () => {
  const client = tenant('vectors').client();
  const store = await client.vectorStores.create({ name: 'Support' });
  const files = [
    await toFile(Buffer.from('Refunds are issued within 14 days of purchase.'), 'refunds.md'),
    await toFile(Buffer.from('We ship worldwide; shipping to Europe takes five business days.'), 'shipping.md'),
  ];
  const batch = await client.vectorStores.fileBatches.uploadAndPoll(store.id, { files });
  assert.equal(batch.status, 'completed');
  assert.equal(batch.file_counts.completed, 2);

  const hits = await client.vectorStores.search(store.id, { query: 'how long does shipping to Europe take' });
  assert.equal(hits.data[0].filename, 'shipping.md');
  assert.ok(hits.data[0].score > hits.data[1].score);

  const response = await client.responses.create({
    model: 'gpt-4.1', input: 'When are refunds issued?', include: ['file_search_call.results'],
    tools: [{ type: 'file_search', vector_store_ids: [store.id] }] });
  assert.deepEqual(response.output.map((item) => item.type), ['file_search_call', 'message']);
  assert.equal(response.output[0].results[0].filename, 'refunds.md');
  const [citation] = response.output[1].content[0].annotations;
  assert.equal(citation.type, 'file_citation');
  assert.equal(citation.filename, 'refunds.md');
});
