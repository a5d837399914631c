// The hosted tools of the Responses API, and reasoning, through the official Node SDK: its stream
// accumulator takes every event of each step (it throws on an event it does not know, or on one for
// an output it has not seen), and finalResponse() is what responses.create answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { tenant } from './helpers.mjs';

const TOOLS = [
  { type: 'file_search', vector_store_ids: ['vs_docs'] },
  { type: 'web_search' },
  { type: 'code_interpreter', container: { type: 'auto' } },
  { type: 'image_generation', partial_images: 2 },
  { type: 'mcp', server_label: 'wiki', server_url: 'https://mcp.example.com/sse', require_approval: 'always' },
];
const EVERYTHING = { responses: [{ times: 'always', steps: [
  { reasoning: { summary: ['Planning the answer.', 'Searching first.'] } },
  { file_search: { query: 'refunds', results: [{ file_id: 'file-policy', filename: 'refunds.pdf', text: '30 days' }] } },
  { web_search: { query: 'news', results: [{ url: 'https://example.org/news', title: 'Example News' }] } },
  { message: 'Refunds take 30 days; Example News agrees.' },
  { code_interpreter: { code: 'print(6 * 7)', outputs: '42\n' } },
  { image_generation: 'a lighthouse' },
  { mcp: { server_label: 'wiki', tool: 'ask', arguments: { q: 'MCP?' }, output: 'A protocol.' } },
  { message: 'All done.' },
] }] };
const INCLUDE = ['file_search_call.results', 'web_search_call.action.sources', 'code_interpreter_call.outputs',
  'reasoning.encrypted_content'];

/** A response as JSON, without the `parsed` and `output_parsed` fields the stream helper adds. */
const plain = (value) => JSON.parse(JSON.stringify(value, (key, part) => (key === 'parsed' || key === 'output_parsed' ? undefined : part)));

test('responses.stream accumulates every hosted tool event; finalResponse() is the sync answer', async () => {
  const t = tenant('hosted');
  const client = t.client();
  const request = { model: 'o4-mini', input: 'Refund policy?', tools: TOOLS, include: INCLUDE,
    reasoning: { summary: 'auto' } };

  await t.load(EVERYTHING);
  const first = await client.responses.create(request);
  await t.load(EVERYTHING);
  const stream = client.responses.stream(request);
  const seen = new Set();
  for await (const event of stream) seen.add(event.type);
  const streamed = await stream.finalResponse();
  assert.deepEqual(plain(streamed), plain(first));

  assert.deepEqual(first.output.map((item) => item.type), ['reasoning', 'file_search_call', 'web_search_call',
    'message', 'code_interpreter_call', 'image_generation_call', 'mcp_list_tools', 'mcp_approval_request']);
  const [reasoning, files, web, message, code, image, , ask] = first.output;
  assert.deepEqual(reasoning.summary.map((part) => part.text), ['Planning the answer.', 'Searching first.']);
  assert.match(reasoning.encrypted_content, /^gAAAAA/);
  assert.equal(files.results[0].file_id, 'file-policy');
  assert.deepEqual(web.action.sources, [{ type: 'url', url: 'https://example.org/news' }]);
  assert.deepEqual(message.content[0].annotations.map((a) => a.type), ['file_citation', 'url_citation']);
  assert.deepEqual(code.outputs, [{ type: 'logs', logs: '42\n' }]);
  assert.equal(Buffer.from(image.result, 'base64').subarray(1, 4).toString(), 'PNG');
  assert.equal(ask.name, 'ask');
  for (const type of ['response.reasoning_summary_text.delta', 'response.output_text.annotation.added',
    'response.code_interpreter_call_code.delta', 'response.image_generation_call.partial_image',
    'response.mcp_list_tools.completed']) {
    assert.ok(seen.has(type), type);
  }

  const approved = client.responses.stream({
    model: 'o4-mini', previous_response_id: streamed.id, tools: TOOLS,
    input: [{ type: 'mcp_approval_response', approval_request_id: ask.id, approve: true }],
  });
  const second = await approved.finalResponse();
  assert.deepEqual(second.output.map((item) => item.type), ['mcp_call', 'message']);
  assert.equal(second.output[0].output, 'A protocol.');
  assert.equal(second.output_text, 'All done.');
  assert.deepEqual(await t.violations(), []);
});
