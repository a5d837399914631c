// The Responses API through the official Node SDK: a sync create, the stream helper and its
// finalResponse(), background polling until a terminal status, cancel.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { tenant } from './helpers.mjs';

const TOOLS = [{
  type: 'function', name: 'get_weather', strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
}];
const BACKGROUND = { responses: [{ times: 'always', steps: [
  { status: 'queued' }, { status: 'in_progress' }, { message: 'Done in the background.' }, { status: 'completed' }] }] };

test('responses.create answers at once; a tool loop goes on with previous_response_id', async () => {
  const t = tenant('responses-sync');
  await t.load('response_tool_loop');
  const client = t.client();

  let response = await client.responses.create({ model: 'gpt-4o', input: 'Weather in Paris and Lyon?', tools: TOOLS });
  const cities = [];
  while (response.output.some((item) => item.type === 'function_call')) {
    assert.equal(response.status, 'completed');
    const [call] = response.output;
    assert.match(call.id, /^fc_/);
    assert.match(call.call_id, /^call_/);
    assert.equal(call.name, 'get_weather');
    const { city } = JSON.parse(call.arguments);
    cities.push(city);
    response = await client.responses.create({
      model: 'gpt-4o', previous_response_id: response.id, tools: TOOLS,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: `${city}: fine` }],
    });
  }

  assert.deepEqual(cities, ['Paris', 'Lyon']);
  assert.equal(response.status, 'completed');
  assert.equal(response.output_text, 'It is 18 °C and sunny in Paris, and 21 °C and cloudy in Lyon.');
  const items = [];
  for await (const item of client.responses.inputItems.list(response.id)) items.push(item.type);
  assert.deepEqual(items, ['function_call_output', 'function_call', 'function_call_output', 'function_call', 'message']);
  assert.deepEqual(await t.violations(), []);
});

test('responses.stream: text deltas in order, sequence numbers from 0, finalResponse()', async () => {
  const t = tenant('responses-stream');
  await t.load({ stream: { chunk_words: 2 }, responses: [{ steps: [{ message: 'One two three four five.' }] }] });
  const client = t.client();

  const stream = client.responses.stream({ model: 'gpt-4o', input: 'Count' });
  let text = '';
  stream.on('response.output_text.delta', (event) => { text += event.delta; });
  const events = [];
  for await (const event of stream) events.push(event);
  const final = await stream.finalResponse();

  assert.equal(events[0].type, 'response.created');
  assert.equal(events.at(-1).type, 'response.completed');
  assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
  assert.equal(events.filter((e) => e.type === 'response.output_text.delta').length, 3);
  assert.equal(text, 'One two three four five.');
  assert.equal(final.status, 'completed');
  assert.equal(final.output_text, 'One two three four five.');
});

test('a background response, polled until it ends, shows each scripted status once', async () => {
  const t = tenant('responses-background');
  await t.load(BACKGROUND);
  const client = t.client();

  let response = await client.responses.create({ model: 'gpt-4o', input: 'Write a report', background: true });
  const seen = [response.status];
  while (response.status === 'queued' || response.status === 'in_progress') {
    response = await client.responses.retrieve(response.id);
    seen.push(response.status);
  }

  assert.deepEqual(seen, ['queued', 'in_progress', 'in_progress', 'completed']);
  assert.equal(response.background, true);
  assert.equal(response.output_text, 'Done in the background.');
  assert.ok(response.usage.total_tokens > 0);
});

test('cancel ends a background response midway; cancelling again gives it back', async () => {
  const t = tenant('responses-cancel');
  await t.load(BACKGROUND);
  const client = t.client();

  const response = await client.responses.create({ model: 'gpt-4o', input: 'Write', background: true });
  assert.equal((await client.responses.retrieve(response.id)).status, 'in_progress');
  const cancelled = await client.responses.cancel(response.id);

  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.usage, null);
  assert.equal((await client.responses.cancel(response.id)).status, 'cancelled');
  assert.equal((await client.responses.retrieve(response.id)).status, 'cancelled');
  const sync = await client.responses.create({ model: 'gpt-4o', input: 'Hi' });
  await assert.rejects(client.responses.cancel(sync.id), (error) => error.status === 400
    && /Cannot cancel a synchronous response/.test(error.message));
});
