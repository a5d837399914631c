// The Realtime API through the official Node SDK: OpenAIRealtimeWS (the `ws` package) dials only wss://,
// so tests/test_client_matrix.py runs `fakeopenai serve --tls` and trusts its CA (NODE_EXTRA_CA_CERTS).
// A scripted tool loop to the end, over text and over audio (PCM16 at 24 kHz: 48 bytes a millisecond).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { OpenAIRealtimeWS } from 'openai/realtime/ws';

import { tenant } from './helpers.mjs';

const WEATHER = { conversations: [{ times: 'always', steps: [
  { tool_calls: [{ function: 'get_weather', arguments: { city: 'Paris' }, id: 'call_weather' }],
    expect_outputs: { call_weather: { contains: '18' } } },
  { message: 'It is 18 degrees in Paris.' }] }] };
const TOOL = { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

async function toolLoop(client, modality) {
  const rt = new OpenAIRealtimeWS({ model: 'gpt-realtime' }, client);
  const errors = [];
  rt.on('error', (error) => errors.push(error));
  const seen = [];
  let text = '';
  let audioBytes = 0;
  const done = new Promise((resolve) => {
    rt.on('event', (event) => seen.push(event.type));
    rt.on('response.output_text.delta', (event) => { text += event.delta; });
    rt.on('response.output_audio_transcript.delta', (event) => { text += event.delta; });
    rt.on('response.output_audio.delta', (event) => { audioBytes += Buffer.from(event.delta, 'base64').length; });
    rt.on('response.done', (event) => {
      const calls = event.response.output.filter((item) => item.type === 'function_call');
      if (calls.length === 0) { resolve(event.response); return; }
      for (const call of calls) {
        assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
        rt.send({ type: 'conversation.item.create', item: { type: 'function_call_output', call_id: call.call_id, output: '18 C' } });
      }
      rt.send({ type: 'response.create' });
    });
  });
  rt.socket.on('open', () => {
    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: [modality], tools: [TOOL] } });
    rt.send({ type: 'conversation.item.create',
              item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] } });
    rt.send({ type: 'response.create' });
  });
  const response = await done;
  rt.close();
  assert.deepEqual(errors, []);
  assert.equal(seen[0], 'session.created');
  return { response, text, audioBytes };
}

test('OpenAIRealtimeWS runs a scripted tool loop over text, on wss://', async () => {
  const t = tenant('realtime-text');
  await t.load(WEATHER);
  const { response, text, audioBytes } = await toolLoop(t.client(), 'text');
  assert.equal(response.status, 'completed');
  assert.equal(text, 'It is 18 degrees in Paris.');
  assert.equal(audioBytes, 0);
  assert.deepEqual(await t.violations(), []);
});

test('OpenAIRealtimeWS runs the same loop over audio, with its transcript', async () => {
  const t = tenant('realtime-audio');
  await t.load(WEATHER);
  const { response, text, audioBytes } = await toolLoop(t.client(), 'audio');
  assert.equal(text, 'It is 18 degrees in Paris.');
  assert.equal(audioBytes, 6 * 40 * 48);   // six words, 40 ms of PCM16 at 24 kHz each
  assert.equal(response.output[0].content[0].type, 'output_audio');
});
