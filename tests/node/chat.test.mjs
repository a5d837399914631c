// Chat Completions through the official Node SDK: chat.completions.stream with its listeners and
// finalChatCompletion(), and runTools with a real tool function walking a two-round scripted
// conversation (the built-in chat_tool_loop), sync and streamed.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { tenant } from './helpers.mjs';

const PARAMETERS = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
const TOOLS = [{ type: 'function', function: { name: 'get_weather', parameters: PARAMETERS } }];
const ANSWER = 'It is 18 °C and sunny in Paris, and 21 °C and cloudy in Lyon.';

function weatherTool(cities) {
  return {
    type: 'function',
    function: {
      name: 'get_weather', parameters: PARAMETERS, parse: JSON.parse,
      function: ({ city }) => { cities.push(city); return `${city}: 18 C`; },
    },
  };
}

test('chat.completions.stream: a tool call by index, then the answer in deltas with usage', async () => {
  const t = tenant('chat-stream');
  await t.load('chat_stream_with_tool_call');
  const client = t.client();
  const messages = [{ role: 'user', content: 'Weather?' }];

  const first = client.chat.completions.stream({ model: 'gpt-4o', messages, tools: TOOLS });
  const argumentDeltas = [];
  first.on('tool_calls.function.arguments.delta', (event) => argumentDeltas.push(event.arguments_delta));
  const called = await first.finalChatCompletion();
  const [call] = called.choices[0].message.tool_calls;
  assert.equal(called.choices[0].finish_reason, 'tool_calls');
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris', unit: 'celsius' });
  assert.ok(argumentDeltas.length > 2);

  messages.push(called.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '18 C' });
  const second = client.chat.completions.stream({
    model: 'gpt-4o', messages, tools: TOOLS, stream_options: { include_usage: true },
  });
  let text = '';
  second.on('content', (delta) => { text += delta; });
  const answer = await second.finalChatCompletion();
  assert.equal(text, 'It is 18 degrees and sunny in Paris today.');
  assert.equal(answer.choices[0].message.content, text);
  assert.equal(answer.choices[0].message.role, 'assistant');
  assert.equal(answer.usage.total_tokens, 102);
});

test('runTools with a real tool function walks two rounds of the scripted conversation', async () => {
  const t = tenant('chat-run-tools');
  await t.load('chat_tool_loop');
  const cities = [];
  const runner = t.client().chat.completions.runTools({
    model: 'gpt-4o', messages: [{ role: 'user', content: 'Weather in Paris and Lyon?' }], tools: [weatherTool(cities)],
  });
  assert.equal(await runner.finalContent(), ANSWER);
  assert.deepEqual(cities, ['Paris', 'Lyon']);
  assert.deepEqual(await t.violations(), []);
});

test('runTools streamed (stream: true) gets the same answer', async () => {
  const t = tenant('chat-run-tools-stream');
  await t.load('chat_tool_loop');
  const cities = [];
  const runner = t.client().chat.completions.runTools({
    model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool(cities)],
  });
  assert.equal(await runner.finalContent(), ANSWER);
  assert.deepEqual(cities, ['Paris', 'Lyon']);
});

test('runTools whose tool answers what the scenario does not expect fails at once, without retries', async () => {
  const t = tenant('chat-run-tools-wrong-output');
  await t.load('chat_tool_loop');   // the Paris output must contain "18"
  const runner = t.client({ maxRetries: 2 }).chat.completions.runTools({
    model: 'gpt-4o', messages: [{ role: 'user', content: 'Weather?' }],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: PARAMETERS, parse: JSON.parse,
                                            function: () => 'sunny' } }],
  });
  await assert.rejects(runner.finalContent(),
    (error) => error.status === 500 && /expected it containing '18'/.test(error.message));
  const retries = (await t.requests()).map((r) => r.headers['x-stainless-retry-count']);
  assert.deepEqual(retries, ['0', '0']);   // x-should-retry: false
  assert.equal((await t.violations()).length, 1);
});
