// Files and batches through the official Node SDK: toFile uploads, content bytes, batch lifecycle.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import OpenAI, { toFile } from 'openai';

import { tenant } from './helpers.mjs';

const BATCH_TERMINAL = ['completed', 'failed', 'expired', 'cancelled'];

function batchInput(count) {
  const lines = [];
  for (let i = 1; i <= count; i += 1) {
    lines.push(JSON.stringify({
      custom_id: `req-${i}`, method: 'POST', url: '/v1/chat/completions',
      body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Question ${i}?` }] },
    }));
  }
  return `${lines.join('\n')}\n`;
}

async function uploadBatchInput(client, count) {
  return client.files.create({ file: await toFile(Buffer.from(batchInput(count)), 'input.jsonl'), purpose: 'batch' });
}

async function jsonLines(client, fileId) {
  const response = await client.files.content(fileId);
  return (await response.text()).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line));
}

test('files: toFile upload, retrieve, content bytes, list, delete', async () => {
  const t = tenant('files');
  const client = t.client();
  const bytes = Buffer.concat([Buffer.from('héllo\r\nwörld\n', 'utf8'), Buffer.from([0, 1, 2, 253, 254, 255])]);

  const file = await client.files.create({
    file: await toFile(bytes, 'notes.bin'), purpose: 'assistants',
    expires_after: { anchor: 'created_at', seconds: 3600 },
  });

  assert.match(file.id, /^file-/);
  assert.deepEqual([file.object, file.filename, file.purpose, file.bytes, file.status],
    ['file', 'notes.bin', 'assistants', bytes.length, 'processed']);
  assert.equal(file.expires_at, file.created_at + 3600);
  const [upload] = (await t.requests()).filter((r) => r.method === 'POST' && r.path === '/v1/files');
  assert.match(upload.headers['content-type'], /^multipart\/form-data; boundary=/);

  const content = await client.files.content(file.id);
  assert.equal(content.status, 200);
  assert.deepEqual(Buffer.from(await content.arrayBuffer()), bytes);
  assert.deepEqual(await client.files.retrieve(file.id), file);

  const other = await uploadBatchInput(client, 2);
  const all = [];
  for await (const f of client.files.list({ limit: 1 })) all.push(f.id);
  assert.deepEqual(all, [other.id, file.id]);
  const batchFiles = [];
  for await (const f of client.files.list({ purpose: 'batch' })) batchFiles.push(f.id);
  assert.deepEqual(batchFiles, [other.id]);

  const deleted = await client.files.delete(file.id);
  assert.deepEqual(deleted, { id: file.id, object: 'file', deleted: true });
  await assert.rejects(client.files.content(file.id), OpenAI.NotFoundError);
  await assert.rejects(client.files.create({ file: await toFile(bytes, 'notes.bin'), purpose: 'batch' }),
    (error) => error instanceof OpenAI.BadRequestError && /\.jsonl/.test(error.message));
});

test('batches: create, retrieve until done (one status per read), output lines by custom_id', async () => {
  const t = tenant('batch');
  await t.load('batch_completes');
  const client = t.client();
  const input = await uploadBatchInput(client, 3);

  let batch = await client.batches.create({
    input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { job: 'node' },
  });
  const statuses = [batch.status];
  for (let reads = 0; reads < 10 && !BATCH_TERMINAL.includes(batch.status); reads += 1) {
    batch = await client.batches.retrieve(batch.id);
    statuses.push(batch.status);
  }

  assert.deepEqual(statuses, ['validating', 'in_progress', 'finalizing', 'completed']);
  assert.match(batch.id, /^batch_/);
  assert.deepEqual(batch.metadata, { job: 'node' });
  assert.deepEqual(batch.request_counts, { total: 3, completed: 3, failed: 0 });
  assert.equal(batch.error_file_id, null);
  assert.ok(batch.completed_at >= batch.finalizing_at && batch.finalizing_at >= batch.in_progress_at);
  const output = await client.files.retrieve(batch.output_file_id);
  assert.equal(output.purpose, 'batch_output');
  const lines = await jsonLines(client, batch.output_file_id);
  assert.deepEqual(lines.map((l) => l.custom_id).sort(), ['req-1', 'req-2', 'req-3']);
  for (const line of lines) {
    assert.match(line.id, /^batch_req_/);
    assert.equal(line.error, null);
    assert.equal(line.response.status_code, 200);
    assert.equal(line.response.body.object, 'chat.completion');
    assert.equal(line.response.body.model, 'gpt-4o-mini');
    assert.ok(line.response.body.choices[0].message.content.length > 0);
  }
});

test('batches: cancel answers cancelling, then cancelled; unfinished requests go to the error file', async () => {
  const t = tenant('batch-cancel');
  const client = t.client();
  const input = await uploadBatchInput(client, 3);
  const created = await client.batches.create({
    input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h',
  });
  const running = await client.batches.retrieve(created.id);
  assert.equal(running.status, 'in_progress');
  assert.deepEqual(running.request_counts, { total: 3, completed: 0, failed: 0 });

  const cancelling = await client.batches.cancel(created.id);
  assert.equal(cancelling.status, 'cancelling');
  assert.ok(cancelling.cancelling_at >= running.in_progress_at);
  const cancelled = await client.batches.retrieve(created.id);

  assert.equal(cancelled.status, 'cancelled');
  assert.ok(cancelled.cancelled_at >= cancelling.cancelling_at);
  assert.deepEqual(cancelled.request_counts, { total: 3, completed: 0, failed: 3 });
  assert.equal(cancelled.output_file_id, null);
  const errors = await jsonLines(client, cancelled.error_file_id);
  assert.deepEqual(errors.map((line) => line.custom_id).sort(), ['req-1', 'req-2', 'req-3']);
  assert.ok(errors.every((line) => line.response === null && line.error.code === 'batch_cancelled'));
  await assert.rejects(client.batches.cancel(created.id), OpenAI.BadRequestError);
});

test('batches: for await list walks every page, newest first', async () => {
  const t = tenant('batch-list');
  const client = t.client();
  const input = await uploadBatchInput(client, 1);
  const ids = [];
  for (let i = 0; i < 5; i += 1) {
    ids.push((await client.batches.create({
      input_file_id: input.id, endpoint: '/v1/chat/completions', completion_window: '24h',
    })).id);
  }

  const listed = [];
  for await (const batch of client.batches.list({ limit: 2 })) listed.push(batch.id);

  assert.deepEqual(listed, [...ids].reverse());
  const pages = (await t.requests()).filter((r) => r.method === 'GET' && r.path === '/v1/batches');
  assert.deepEqual(pages.map((r) => r.query.after ?? null), [null, ids[3], ids[1]]);
});
