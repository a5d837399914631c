// Runs through the official Node SDK: polling helpers, streaming helpers, errors, retries.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import OpenAI from 'openai';

import { tenant } from './helpers.mjs';

test('createAndPoll stops at requires_action, submitToolOutputsAndPoll completes the run', async () => {
  const t = tenant('poll');
  await t.load('requires_action_then_complete');
  const client = t.client();
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Weather in Paris?' }] });

  const run = await client.beta.threads.runs.createAndPoll(thread.id, { assistant_id: 'asst_weather' });

  assert.equal(run.status, 'requires_action');
  assert.equal(run.thread_id, thread.id);
  assert.equal(run.assistant_id, 'asst_weather');
  const [call, ...others] = run.required_action.submit_tool_outputs.tool_calls;
  assert.deepEqual(others, []);
  assert.match(call.id, /^call_/);
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
  // createAndPoll polled GET .../runs/{id} until the run stopped, each state seen once.
  const polls = (await t.requests()).filter((r) => r.method === 'GET' && r.path.endsWith(`/runs/${run.id}`));
  assert.equal(polls.length, 2); // in_progress, then requires_action
  assert.ok(polls.every((r) => r.headers['x-stainless-poll-helper'] === 'true'));

  const done = await client.beta.threads.runs.submitToolOutputsAndPoll(run.id, {
    thread_id: thread.id,
    tool_outputs: [{ tool_call_id: call.id, output: '18C, sunny' }],
  });

  assert.equal(done.id, run.id);
  assert.equal(done.status, 'completed');
  assert.deepEqual(done.usage, { prompt_tokens: 120, completion_tokens: 14, total_tokens: 134 });
  assert.equal(done.expires_at, null);
  const steps = [];
  for await (const step of client.beta.threads.runs.steps.list(run.id, { thread_id: thread.id, order: 'asc' })) {
    steps.push(step);
  }
  assert.deepEqual(steps.map((s) => [s.type, s.status]),
    [['tool_calls', 'completed'], ['message_creation', 'completed']]);
  assert.equal(steps[0].step_details.tool_calls[0].function.output, '18C, sunny');
  const messages = await client.beta.threads.messages.list(thread.id, { run_id: run.id });
  assert.deepEqual(messages.data.map((m) => m.content[0].text.value), ['It is 18 °C and sunny in Paris.']);
  assert.equal(messages.data[0].id, steps[1].step_details.message_creation.message_id);
  assert.deepEqual(await t.violations(), []);
});

test('runs.stream: event listeners, tool call deltas, finalRun; then submitToolOutputsStream', async () => {
  const t = tenant('stream');
  await t.load('stream_with_tool_call');
  const client = t.client();
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Weather in Paris?' }] });

  const events = [];
  const created = [];
  let argumentsText = '';
  const stream = client.beta.threads.runs
    .stream(thread.id, { assistant_id: 'asst_weather' })
    .on('event', (event) => events.push(event.event))
    .on('toolCallCreated', (toolCall) => created.push(toolCall))
    .on('toolCallDelta', (delta) => { argumentsText += delta.function?.arguments ?? ''; });
  const run = await stream.finalRun();

  assert.equal(run.status, 'requires_action');
  assert.deepEqual(events.slice(0, 5), ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress',
    'thread.run.step.created', 'thread.run.step.in_progress']);
  const deltas = events.length - 6;
  assert.ok(deltas >= 3, `expected several step deltas, got ${events}`);
  assert.deepEqual(events.slice(5), [...Array(deltas).fill('thread.run.step.delta'), 'thread.run.requires_action']);
  assert.equal(created.length, 1);
  assert.equal(created[0].type, 'function');
  assert.equal(created[0].function.name, 'get_weather');
  assert.equal(argumentsText, '{"city": "Paris", "unit": "celsius"}');
  const [required] = run.required_action.submit_tool_outputs.tool_calls;
  assert.equal(required.id, created[0].id);
  assert.equal(required.function.arguments, argumentsText);
  const polled = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
  assert.equal(polled.status, 'requires_action');

  let text = '';
  let textDeltas = 0;
  const after = client.beta.threads.runs
    .submitToolOutputsStream(run.id, { thread_id: thread.id, tool_outputs: [{ tool_call_id: required.id, output: '18C' }] })
    .on('textDelta', (delta) => { text += delta.value; textDeltas += 1; });
  const final = await after.finalRun();
  const [message] = await after.finalMessages();

  assert.equal(final.status, 'completed');
  assert.equal(final.usage.total_tokens, 102);
  assert.equal(text, 'It is 18 degrees and sunny in Paris today.');
  assert.equal(textDeltas, 5); // chunk_words: 2 over 9 words
  assert.equal(message.content[0].text.value, text);
  const stored = await client.beta.threads.messages.retrieve(message.id, { thread_id: thread.id });
  assert.equal(stored.content[0].text.value, text);
  assert.equal(stored.status, 'completed');
});

test('runs.stream of the default script: canonical event order, text deltas add up to the message', async () => {
  const t = tenant('stream-default');
  const client = t.client();
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o' });
  const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'Tell me something' }] });

  const events = [];
  let text = '';
  const stream = client.beta.threads.runs
    .stream(thread.id, { assistant_id: assistant.id })
    .on('event', (event) => events.push(event.event))
    .on('textDelta', (delta) => { text += delta.value; });
  const run = await stream.finalRun();
  const [message] = await stream.finalMessages();

  const deltas = events.filter((e) => e === 'thread.message.delta').length;
  assert.ok(deltas >= 3, `expected several message deltas, got ${deltas}`);
  assert.deepEqual(events, [
    'thread.run.created', 'thread.run.queued', 'thread.run.in_progress',
    'thread.run.step.created', 'thread.run.step.in_progress',
    'thread.message.created', 'thread.message.in_progress',
    ...Array(deltas).fill('thread.message.delta'),
    'thread.message.completed', 'thread.run.step.completed', 'thread.run.completed']);
  assert.equal(run.status, 'completed');
  assert.ok(text.split(' ').length >= 5, text);
  assert.equal(message.content[0].text.value, text);
  const polled = await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id });
  assert.deepEqual(polled, run);
});

test('an error event in the stream makes the SDK throw APIError', async () => {
  const t = tenant('stream-error');
  await t.load({ runs: [{ steps: [{ status: 'queued' }, { status: 'in_progress' },
    { stream_error: { message: 'upstream broke', type: 'server_error' } }] }] });
  const client = t.client();
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o' });
  const thread = await client.beta.threads.create();

  const events = [];
  const stream = client.beta.threads.runs
    .stream(thread.id, { assistant_id: assistant.id })
    .on('event', (event) => events.push(event.event));

  await assert.rejects(stream.finalRun(), (error) => {
    assert.ok(error instanceof OpenAI.APIError, `${error}`);
    assert.match(error.message, /upstream broke/);
    return true;
  });
  assert.deepEqual(events, ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress']);
  const runs = await client.beta.threads.runs.list(thread.id);
  assert.equal(runs.data.length, 1);
  assert.equal(runs.data[0].status, 'failed');
  assert.equal(runs.data[0].last_error.message, 'upstream broke');
});

test('unknown ids raise NotFoundError with the OpenAI error body', async () => {
  const t = tenant('404');
  const client = t.client();
  const thread = await client.beta.threads.create();

  await assert.rejects(client.beta.threads.runs.retrieve('run_missing', { thread_id: thread.id }), (error) => {
    assert.ok(error instanceof OpenAI.NotFoundError, `${error}`);
    assert.equal(error.status, 404);
    assert.equal(error.error.message, "No run found with id 'run_missing'.");
    assert.equal(error.param, 'run_id');
    assert.equal(error.type, 'invalid_request_error');
    assert.match(error.requestID, /^req_/);
    return true;
  });
  await assert.rejects(client.beta.threads.runs.createAndPoll('thread_missing', { assistant_id: 'asst_x' }),
    (error) => error instanceof OpenAI.NotFoundError && error.param === 'thread_id');
  await assert.rejects(client.files.retrieve('file-missing'), OpenAI.NotFoundError);
  await assert.rejects(client.batches.retrieve('batch_missing'), OpenAI.NotFoundError);
});

test('a scripted 429 is retried by the SDK and each attempt is counted', async () => {
  const t = tenant('retry');
  await t.load('rate_limited_then_ok');
  const client = t.client({ maxRetries: 2 }); // the SDK default
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o' });
  const thread = await client.beta.threads.create();

  const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });

  assert.equal(run.status, 'queued');
  const attempts = (await t.requests()).filter((r) => r.method === 'POST' && r.path === `/v1/threads/${thread.id}/runs`);
  assert.deepEqual(attempts.map((r) => r.headers['x-stainless-retry-count']), ['0', '1', '2']);
  const runs = await client.beta.threads.runs.list(thread.id);
  assert.deepEqual(runs.data.map((r) => r.id), [run.id]); // the faulted attempts stored nothing
  const finished = await client.beta.threads.runs.poll(run.id, { thread_id: thread.id });
  assert.equal(finished.status, 'completed');
});

test('a 429 with retries off raises RateLimitError', async () => {
  const t = tenant('429');
  await t.load('rate_limited_then_ok');
  const client = t.client({ maxRetries: 0 });
  const assistant = await client.beta.assistants.create({ model: 'gpt-4o' });

  await assert.rejects(client.beta.threads.createAndRun({ assistant_id: assistant.id }), (error) => {
    assert.ok(error instanceof OpenAI.RateLimitError, `${error}`);
    assert.equal(error.status, 429);
    assert.equal(error.code, 'rate_limit_exceeded');
    assert.equal(error.headers.get('retry-after-ms'), '10');
    return true;
  });
  const attempts = (await t.requests()).filter((r) => r.path === '/v1/threads/runs');
  assert.deepEqual(attempts.map((r) => r.headers['x-stainless-retry-count']), ['0']);
});
