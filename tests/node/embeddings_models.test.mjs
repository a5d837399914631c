// Embeddings and Models through the official Node SDK: embeddings.create with the SDK's default
// (it asks for base64 and decodes it, unconditionally) and with float, scripted similarity,
// models.list / retrieve, and the 404 model_not_found of `unknown_models: error`.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import OpenAI from 'openai';

import { tenant } from './helpers.mjs';

const cosine = (a, b) => a.reduce((sum, x, i) => sum + x * b[i], 0);
const SIMILAR = { embeddings: [
  { match: { input: { equals: 'cat' } }, vector: [1, 0, 0] },
  { match: { input: { contains: 'kitten' } }, similar_to: 'cat', similarity: 0.9 }] };

test('embeddings.create: the default base64 decoded, float, the same vectors either way', async () => {
  const t = tenant('embeddings');
  await t.load(SIMILAR);
  const client = t.client();

  const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['cat', 'a kitten', 'a car'] });
  const floats = await client.embeddings.create({
    model: 'text-embedding-3-small', input: ['cat', 'a kitten', 'a car'], encoding_format: 'float' });

  const [cat, kitten, car] = decoded.data.map((item) => item.embedding);
  assert.ok(Array.isArray(cat) && cat.length === 1536);
  assert.ok(Math.abs(cosine(cat, kitten) - 0.9) < 1e-5);
  assert.ok(Math.abs(cosine(cat, car)) < 0.2);
  assert.ok(Math.abs(cosine(car, car) - 1) < 1e-5);
  floats.data.forEach((item, i) => {
    assert.equal(item.index, i);
    // float32 on the wire for base64: equal to the float answer within float32 precision
    item.embedding.forEach((x, j) => assert.ok(Math.abs(x - decoded.data[i].embedding[j]) < 1e-6));
  });
  assert.deepEqual(decoded.usage, floats.usage);
  assert.ok(decoded.usage.prompt_tokens > 0 && decoded.usage.total_tokens === decoded.usage.prompt_tokens);

  const short = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'cat', dimensions: 8 });
  assert.equal(short.data[0].embedding.length, 8);
  const raw = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'cat', encoding_format: 'base64' });
  assert.equal(typeof raw.data[0].embedding, 'string');   // asked for explicitly: the SDK leaves it as it is
  assert.equal(Buffer.from(raw.data[0].embedding, 'base64').length, 1536 * 4);

  const sent = (await t.requests()).filter((r) => r.path === '/v1/embeddings').map((r) => r.body.encoding_format);
  assert.deepEqual(sent, ['base64', 'float', 'base64', 'base64']);
});

test('models.list and models.retrieve; an unlisted model is model_not_found', async () => {
  const t = tenant('models');
  const client = t.client();
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.ok(ids.includes('gpt-4o-mini') && ids.includes('text-embedding-3-small'));
  const model = await client.models.retrieve('gpt-4o');
  assert.deepEqual([model.id, model.object, model.owned_by, model.created], ['gpt-4o', 'model', 'system', 1700000000]);

  await t.load('strict_models');
  const listed = [];
  for await (const m of client.models.list()) listed.push(m.id);
  assert.deepEqual(listed, ['gpt-4o-mini', 'text-embedding-3-small', 'omni-moderation-latest']);
  await assert.rejects(client.models.retrieve('gpt-4o'), (error) => error instanceof OpenAI.NotFoundError);
  await assert.rejects(client.embeddings.create({ model: 'text-embedding-3-large', input: 'hi' }), (error) => {
    assert.ok(error instanceof OpenAI.NotFoundError);
    assert.equal(error.code, 'model_not_found');
    assert.equal(error.param, 'model');
    assert.equal(error.error.message, 'The model `text-embedding-3-large` does not exist or you do not have access to it.');
    return true;
  });
});
